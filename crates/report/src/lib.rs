//! Placeholder: the breach documents (being written).
