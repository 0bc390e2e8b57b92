//! Placeholder: breach scoping (being written).
