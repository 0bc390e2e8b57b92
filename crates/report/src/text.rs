//! Small text helpers shared by the documents: escaping, numbers, dates,
//! PHI categories and States in words, and the methodology text.

use phiwatch_event::Timestamp;
use phiwatch_hipaa::Date;

/// Escapes text for HTML element content and quoted attribute values:
/// `&`, `<`, `>`, `"` and `'`.
///
/// ```
/// assert_eq!(
///     phiwatch_report::escape_html(r#"<script>alert("x")</script> & 'y'"#),
///     "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
/// );
/// ```
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes text safe inside a Markdown table cell or list item: the
/// characters Markdown gives a meaning to (`\`, `` ` ``, `*`, `[`, `]`,
/// `|`, `<`, `>`, an `_` that is not inside a word, a leading `#`) are
/// backslash-escaped and line breaks become spaces, so a silo or host name
/// cannot break the layout.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let alnum_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            // Inside a word (`acme_support`) an underscore is plain text.
            '_' if !(alnum_at(i.checked_sub(1)) && alnum_at(Some(i + 1))) => out.push_str("\\_"),
            '#' if i == 0 => out.push_str("\\#"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A value usable as (part of) an HTML `id`: ASCII letters, digits, `-`
/// and `_` kept, anything else replaced by `_`.
pub(crate) fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `48213` → `48,213`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in a readable unit (decimal: kB, MB, GB, TB), with one decimal.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = "kB";
    for u in UNITS.iter().skip(1) {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// A time for people: `2026-11-03 01:00:01 UTC`.
pub(crate) fn time(t: Timestamp) -> String {
    let c = t.civil();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// An optional time for people, `-` when absent.
pub(crate) fn opt_time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), time)
}

/// The UTC calendar date of a time.
pub(crate) fn date_of(t: Timestamp) -> Option<Date> {
    let c = t.civil();
    Date::new(c.year, c.month, c.day).ok()
}

/// An optional date as `YYYY-MM-DD`, or the given text when absent.
pub(crate) fn opt_date(d: Option<Date>, absent: &str) -> String {
    d.map_or_else(|| absent.to_string(), |d| d.to_string())
}

/// `November 3, 2026`.
pub(crate) fn long_date(d: Date) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = usize::try_from(d.month())
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("?");
    format!("{month} {}, {}", d.day(), d.year())
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_words<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let head: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}

/// A PHI category of the inventory in plain words, for letters.
pub fn category_words(category: &str) -> String {
    let words = match category {
        "name" => "name",
        "address" => "address",
        "dob" => "date of birth",
        "ssn" => "Social Security number",
        "mrn" => "medical record number",
        "insurance" => "health insurance information (such as plan name and member ID)",
        "clinical" => {
            "medical information (such as diagnoses, procedures, medications and dates of service)"
        }
        "financial" => "billing and payment information",
        "contact" => "contact information",
        "email" => "email address",
        "phone" => "telephone number",
        "license" => "driver's license or State ID number",
        "biometric" => "biometric identifiers",
        "photo" => "photographs",
        "device" => "device identifiers",
        "account" => "account numbers",
        other => other,
    };
    words.to_string()
}

/// The categories in words, in the order people expect (identity first,
/// then health, then money), as one phrase.
pub(crate) fn categories_phrase(categories: &[String]) -> String {
    const ORDER: [&str; 16] = [
        "name",
        "address",
        "dob",
        "ssn",
        "license",
        "contact",
        "email",
        "phone",
        "photo",
        "biometric",
        "mrn",
        "insurance",
        "clinical",
        "device",
        "financial",
        "account",
    ];
    let mut sorted: Vec<&String> = categories.iter().collect();
    sorted.sort_by_key(|c| {
        ORDER
            .iter()
            .position(|o| *o == c.as_str())
            .unwrap_or(ORDER.len())
    });
    sorted.dedup();
    let words: Vec<String> = sorted.iter().map(|c| category_words(c)).collect();
    join_words(&words)
}

/// The name of a USPS State or jurisdiction code; the code itself when it
/// is not one.
pub fn state_name(code: &str) -> &str {
    const NAMES: [(&str, &str); 56] = [
        ("AK", "Alaska"),
        ("AL", "Alabama"),
        ("AR", "Arkansas"),
        ("AS", "American Samoa"),
        ("AZ", "Arizona"),
        ("CA", "California"),
        ("CO", "Colorado"),
        ("CT", "Connecticut"),
        ("DC", "the District of Columbia"),
        ("DE", "Delaware"),
        ("FL", "Florida"),
        ("GA", "Georgia"),
        ("GU", "Guam"),
        ("HI", "Hawaii"),
        ("IA", "Iowa"),
        ("ID", "Idaho"),
        ("IL", "Illinois"),
        ("IN", "Indiana"),
        ("KS", "Kansas"),
        ("KY", "Kentucky"),
        ("LA", "Louisiana"),
        ("MA", "Massachusetts"),
        ("MD", "Maryland"),
        ("ME", "Maine"),
        ("MI", "Michigan"),
        ("MN", "Minnesota"),
        ("MO", "Missouri"),
        ("MP", "the Northern Mariana Islands"),
        ("MS", "Mississippi"),
        ("MT", "Montana"),
        ("NC", "North Carolina"),
        ("ND", "North Dakota"),
        ("NE", "Nebraska"),
        ("NH", "New Hampshire"),
        ("NJ", "New Jersey"),
        ("NM", "New Mexico"),
        ("NV", "Nevada"),
        ("NY", "New York"),
        ("OH", "Ohio"),
        ("OK", "Oklahoma"),
        ("OR", "Oregon"),
        ("PA", "Pennsylvania"),
        ("PR", "Puerto Rico"),
        ("RI", "Rhode Island"),
        ("SC", "South Carolina"),
        ("SD", "South Dakota"),
        ("TN", "Tennessee"),
        ("TX", "Texas"),
        ("UT", "Utah"),
        ("VA", "Virginia"),
        ("VI", "the U.S. Virgin Islands"),
        ("VT", "Vermont"),
        ("WA", "Washington"),
        ("WI", "Wisconsin"),
        ("WV", "West Virginia"),
        ("WY", "Wyoming"),
    ];
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| n)
}

/// How the scope is computed, one paragraph per item (shared by the HTML
/// report and the forensic summary).
pub(crate) const METHODOLOGY: [(&str, &str); 7] = [
    (
        "Ledger",
        "Every log record that touches a data silo of the inventory (a database table, a storage bucket or prefix, a file path, an API resource) becomes an entry of the data-access ledger: who (user, host, address), which silo, which records or a bulk read, rows and bytes returned, when, and the record it came from (path:line).",
    ),
    (
        "Actors and window",
        "Only ledger entries, connections and findings inside the window (both ends included) and made by one of the actors count. An actor is a user name (compared by its local part without case, dots, dashes or underscores, so acme_support is also acme.support@vendor.example), an address or network (CIDR), or a host name (the short name matches the full one). When an incident id is given, its actors and time span are used.",
    ),
    (
        "Records and bulk reads",
        "A read that names records (a FHIR Patient id, an API path, a WHERE on the patient key) counts those records. A read that returns the whole silo (SELECT without a patient filter, COPY, a dump tool, a bulk $export, a bucket listing followed by reads) counts every patient in the silo's list: HIPAA presumes the worst the logs allow.",
    ),
    (
        "Deduplication",
        "Patients are counted once across all silos (by their id in the inventory's patient lists), then split by State of residence, deceased, and living without current contact details. Records named by the logs but missing from the patient lists are counted as records, not as individuals, and listed for review.",
    ),
    (
        "Unresolved and filtered reads",
        "\"Unresolved\" accesses are reads by the actors that the logs cannot tie to patients (a search naming none, a filter on a column other than the patient key). They are counted per silo and listed for review, not counted as individuals, unless the read returned the whole silo. \"Filtered\" bulk reads (a WHERE on, say, a status) are counted as the whole silo, since the logs do not say which rows matched: narrow them with the database if you can.",
    ),
    (
        "Exfiltration",
        "Bytes out are the bytes the actors' addresses and hosts sent to addresses outside the organization's internal networks (network flow, proxy and cloud logs), per destination with the names seen for it (TLS SNI, HTTP host, DNS answers).",
    ),
    (
        "Data gaps",
        "For each kind of log, the hours of the window without a single record are listed: during them the scope cannot see that source, and the numbers are lower bounds for it.",
    ),
];

/// The note every document carries.
pub(crate) const NOT_LEGAL_ADVICE: &str = "Decision support, not legal advice: phiwatch applies the HIPAA Breach Notification Rule (45 CFR 164.400-414) and a table of State laws to the facts it was given. Confirm the determination, every deadline and every notice with counsel before anything is sent.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_bytes() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(48213), "48,213");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(bytes(12), "12 bytes");
        assert_eq!(bytes(504_843_072), "504.8 MB");
        assert_eq!(bytes(2_055_060_226), "2.1 GB");
    }

    #[test]
    fn words() {
        assert_eq!(join_words::<&str>(&[]), "");
        assert_eq!(join_words(&["a"]), "a");
        assert_eq!(join_words(&["a", "b"]), "a and b");
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
        let cats: Vec<String> = ["clinical", "ssn", "name"].map(String::from).to_vec();
        assert!(categories_phrase(&cats).starts_with("name, Social Security number and medical"));
        assert_eq!(state_name("MA"), "Massachusetts");
        assert_eq!(state_name("unknown"), "unknown");
    }

    #[test]
    fn dates() {
        let d = Date::new(2026, 11, 3).unwrap();
        assert_eq!(long_date(d), "November 3, 2026");
        let t = Timestamp::from_secs(1_793_062_801).unwrap();
        assert_eq!(
            date_of(t).map(|d| d.to_string()).as_deref(),
            Some("2026-10-27")
        );
        assert_eq!(time(t), "2026-10-27 01:00:01 UTC");
    }

    #[test]
    fn markdown_and_ids() {
        assert_eq!(escape_md("a|b_c\nd _x #1"), "a\\|b_c d \\_x #1");
        assert_eq!(escape_md("#h [l](u) *e*"), "\\#h \\[l\\](u) \\*e\\*");
        assert_eq!(id_part("MA"), "MA");
        assert_eq!(id_part("a b\"<"), "a_b__");
    }
}
