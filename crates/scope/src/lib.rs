//! Breach scoping: which silos a breach reached, which records and
//! patients (deduplicated, by state), which PHI categories, how many bytes
//! left and to where, and the merged timeline with the records behind each
//! line.
//!
//! The input is events (read from logs) or, from a store, the
//! data-access ledger ([`Access`]) and findings; the window and the actors
//! (`user:NAME`, `ip:ADDRESS` or CIDR, `host:NAME`) say what is in scope.
//! [`access_of`] turns an event into a ledger entry using the inventory's
//! silos; [`ScopeBuilder`] collects the [`Scope`] report.
//!
//! ```
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//! use phiwatch_inventory::{Inventory, PatientTables, Patients};
//! use phiwatch_scope::{ScopeBuilder, ScopeConfig, Actors};
//!
//! let inv = Inventory::parse(r#"
//! [[silo]]
//! name = "fhir.Patient"
//! kind = "api"
//! match = { resource = "Patient" }
//! categories = ["name", "dob"]
//! "#, "inventory.toml").unwrap();
//! let pts = Patients::parse("patient_id,state\npt-1,MA\npt-2,NY\n", "p.csv").unwrap();
//! let tables = PatientTables { tables: vec![pts], of_silo: vec![Some(0)] };
//!
//! let mut ev = Event::new(Timestamp::from_secs(100).unwrap());
//! let r = ev.store_str("Patient");
//! ev.push_norm(keys::RESOURCE_TYPE, r);
//! let id = ev.store_str("pt-2");
//! ev.push_norm(keys::PATIENT_IDS, id);
//! let u = ev.store_str("acme-sync");
//! ev.push_norm(keys::USER_NAME, u);
//!
//! let cfg = ScopeConfig {
//!     from: Timestamp::from_secs(0).unwrap(),
//!     to: Timestamp::from_secs(200).unwrap(),
//!     actors: Actors(vec!["user:acme_sync".parse().unwrap()]),
//!     ..ScopeConfig::default()
//! };
//! let mut b = ScopeBuilder::new(cfg, &inv, &tables);
//! b.observe(&ev, || "fhir.ndjson:1".to_string());
//! let r = b.finish();
//! assert_eq!(r.scope.individuals.total, 1);
//! assert_eq!(r.scope.individuals.by_state["NY"], 1);
//! assert_eq!(r.scope.silos[0].name, "fhir.Patient");
//! ```

mod access;
mod actor;
mod builder;
mod ledger;
pub mod report;

pub use access::{access_of, sql_reach, Access, Reach, SqlReach};
pub use actor::{Actor, ActorError, Actors, Who};
pub use builder::{ScopeBuilder, ScopeConfig, ScopeResult};
pub use ledger::{Flow, Ledger};
pub use report::Scope;
