//! The CSV documents: the affected individuals (PHI) and the IoCs.

use phiwatch_finding::push_csv_field;
use phiwatch_inventory::Patient;
use phiwatch_scope::report::Ioc;

/// The first line of `individuals.csv`.
pub const PHI_WARNING: &str = "# PHI: protected health information (45 CFR 160.103). The individuals affected by the breach. Keep it with the safeguards of the patient records, share it only with those who send the notices, never by unencrypted email.";

/// The affected-individuals list: a comment line warning that it is PHI,
/// the header `patient_id,state,deceased,contact`, then one row per
/// patient in the given order (`true`/`false` for the flags).
///
/// ```
/// use phiwatch_inventory::Patient;
/// let p = Patient { id: "pt-1".into(), state: "MA".into(), deceased: false, contact: true };
/// let csv = phiwatch_report::individuals_csv(&[p]);
/// let lines: Vec<&str> = csv.lines().collect();
/// assert!(lines[0].starts_with("# PHI"));
/// assert_eq!(lines[1..], ["patient_id,state,deceased,contact", "pt-1,MA,false,true"]);
/// ```
pub fn individuals_csv(affected: &[Patient]) -> String {
    let mut out = String::with_capacity(64 + affected.len() * 24);
    out.push_str(PHI_WARNING);
    out.push('\n');
    out.push_str("patient_id,state,deceased,contact\n");
    for p in affected {
        push_csv_field(&mut out, &p.id);
        out.push(',');
        push_csv_field(&mut out, &p.state);
        out.push(',');
        out.push_str(if p.deceased { "true" } else { "false" });
        out.push(',');
        out.push_str(if p.contact { "true" } else { "false" });
        out.push('\n');
    }
    out
}

/// The indicators: header `kind,value,context`, one row each.
pub fn iocs_csv(iocs: &[Ioc]) -> String {
    let mut out = String::from("kind,value,context\n");
    for i in iocs {
        push_csv_field(&mut out, &i.kind);
        out.push(',');
        push_csv_field(&mut out, &i.value);
        out.push(',');
        push_csv_field(&mut out, &i.context);
        out.push('\n');
    }
    out
}
