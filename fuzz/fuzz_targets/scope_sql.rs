//! The scope's reading of SQL statements (which patients a `WHERE` names):
//! never panics on any text; the ids it returns are non-empty, sorted and
//! distinct, and each occurs in the statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_scope::{sql_reach, SqlReach};

fuzz_target!(|data: &[u8]| {
    let sql = String::from_utf8_lossy(data);
    if let SqlReach::Keys(ids) = sql_reach(&sql) {
        assert!(!ids.is_empty());
        for w in ids.windows(2) {
            assert!(w[0] < w[1], "not sorted and distinct");
        }
        for id in &ids {
            assert!(!id.is_empty() && sql.contains(id.as_str()));
        }
    }
});
