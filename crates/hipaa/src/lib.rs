//! Placeholder: the HIPAA determination (being written).
