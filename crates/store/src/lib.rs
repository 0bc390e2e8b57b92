//! Placeholder: the embedded store (being written).
