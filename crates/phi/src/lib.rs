//! PHI content detection: find identifiers (SSN, NPI, MBI, card numbers,
//! dates of birth, …) in text and structured data, validate them where the
//! identifier has rules, score them with their context, map them to the
//! HIPAA Safe Harbor categories, and redact them.

pub mod context;
pub mod corpus;
pub mod redact;
pub mod scan;
pub mod structure;
pub mod types;
pub mod validate;

pub use redact::{redact, RedactMode};
pub use scan::{Match, ScanConfig, Scanner};
pub use structure::{detect_layout, scan_document, Found, Layout};
pub use types::{PhiType, SafeHarbor};
pub use validate::validate;
