//! The inventory of PRODUCT.md: which data silos hold PHI (database tables,
//! object-store buckets, file shares, API resources), which categories of
//! PHI each holds and where its patients are listed, which networks are
//! inside the organization, and who the vendors are.
//!
//! [`Inventory::load`] reads the TOML file and reports every problem at once,
//! each with its line ([`Problem`]); [`Inventory::silo_of`] maps an event onto
//! the silo it touches.
//!
//! ```
//! use phiwatch_inventory::Inventory;
//!
//! let inv = Inventory::parse(r#"
//! [[silo]]
//! name = "ehr.patients"
//! kind = "table"
//! match = { db = "ehr", table = "patients" }
//! categories = ["name", "ssn"]
//!
//! [entity]
//! internal_networks = ["10.0.0.0/8"]
//! "#, "inventory.toml").unwrap();
//! assert_eq!(inv.silos[0].name, "ehr.patients");
//! assert_eq!(inv.internal_networks, ["10.0.0.0/8"]);
//! ```

mod load;
mod matcher;
mod patients;

use std::path::PathBuf;

pub use load::{Problem, Problems};
pub use patients::{Patient, PatientTables, Patients};

/// PHI categories a silo may list (the Safe Harbor identifiers grouped as
/// breach notices name them, plus clinical and financial data).
pub const CATEGORIES: [&str; 16] = [
    "name",
    "address",
    "dob",
    "ssn",
    "mrn",
    "insurance",
    "clinical",
    "financial",
    "contact",
    "email",
    "phone",
    "license",
    "biometric",
    "photo",
    "device",
    "account",
];

/// A validated inventory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    /// The file it was read from (patients paths are relative to it).
    pub path: PathBuf,
    /// The organization (`[entity] name`): the covered entity in reports.
    pub name: Option<String>,
    /// The silos, in file order.
    pub silos: Vec<Silo>,
    /// Networks inside the organization (CIDR text, validated); empty: not
    /// given.
    pub internal_networks: Vec<String>,
    /// Vendors.
    pub vendors: Vec<Vendor>,
}

/// What kind of store a silo is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiloKind {
    /// A database table.
    Table,
    /// An object-store bucket (prefix).
    Bucket,
    /// A file share path.
    Path,
    /// An API resource type.
    Api,
}

impl SiloKind {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            SiloKind::Table => "table",
            SiloKind::Bucket => "bucket",
            SiloKind::Path => "path",
            SiloKind::Api => "api",
        }
    }
}

/// Which events touch a silo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiloMatch {
    /// A table: the database (when given) and the table, with or without
    /// its schema.
    Table {
        /// Database name (`db.name`), if it matters.
        db: Option<String>,
        /// Table (`patients` or `ehr.patients`).
        table: String,
    },
    /// Objects of a bucket under a key prefix.
    Bucket {
        /// Bucket name.
        bucket: String,
        /// Key prefix ("" for all).
        prefix: String,
    },
    /// Files under a path, on a host when given.
    Path {
        /// Host name, if it matters.
        host: Option<String>,
        /// Path prefix.
        path: String,
    },
    /// An API resource type (`Patient`).
    Api {
        /// Resource type.
        resource: String,
    },
}

/// A data silo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silo {
    /// Name shown in reports.
    pub name: String,
    /// Kind.
    pub kind: SiloKind,
    /// Which events touch it.
    pub matcher: SiloMatch,
    /// PHI categories it holds (from [`CATEGORIES`]).
    pub categories: Vec<String>,
    /// Patients CSV, relative to the inventory file, when given.
    pub patients: Option<PathBuf>,
    /// Line of its `[[silo]]` table.
    pub line: usize,
}

/// A vendor with access.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vendor {
    /// Name.
    pub name: String,
    /// Accounts (identity provider users, database roles, API clients).
    pub accounts: Vec<String>,
    /// Networks it connects from (CIDR text, validated).
    pub networks: Vec<String>,
    /// Domains.
    pub domains: Vec<String>,
    /// UTC working hours `[from, to)`, when given (`hours = [8, 18]`).
    pub hours: Option<(u8, u8)>,
}
