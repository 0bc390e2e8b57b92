//! Format detection by content: a look at the first bytes of a source
//! (after decompression) decides the format and how to frame records.

use crate::{
    access, authlog, entra, fhir, mssql, mysql, okta, postgres, syslog, vpcflow, windows, Format,
};

/// How a source's bytes are cut into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One record per line.
    Lines,
    /// A stream of JSON documents, possibly pretty-printed: top-level arrays
    /// are expanded, a CloudTrail `{"Records":[…]}` envelope gives one
    /// record per element, and a FHIR Bundle one record per entry resource.
    JsonDocuments,
    /// A binary Windows EVTX file: one record per event, rendered as JSON.
    Evtx,
}

/// What detection decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// The format.
    pub format: Format,
    /// The framing.
    pub framing: Framing,
}

impl Detected {
    fn lines(format: Format) -> Option<Detected> {
        Some(Detected {
            format,
            framing: Framing::Lines,
        })
    }
}

/// How many non-empty lines detection looks at.
const LINES_TO_TRY: usize = 8;

/// Detects the format of a source from its first bytes (a sample of at
/// least a few KiB when the source is that long). `None` when no format fits.
///
/// ```
/// use phiwatch_decode::{detect, Format, Framing};
/// let d = detect(b"#separator \\x09\n#fields\tts\tuid\n").unwrap();
/// assert_eq!(d.format, Format::ZeekTsv);
/// let d = detect(b"{\"Records\": [{\"eventVersion\": \"1.08\"}]}").unwrap();
/// assert_eq!((d.format, d.framing), (Format::CloudTrail, Framing::JsonDocuments));
/// ```
pub fn detect(sample: &[u8]) -> Option<Detected> {
    if sample.starts_with(b"ElfFile\0") {
        return Some(Detected {
            format: Format::Windows,
            framing: Framing::Evtx,
        });
    }
    let sample = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    let lines: Vec<&[u8]> = sample
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
        .take(LINES_TO_TRY)
        .collect();
    let first = lines.first()?;
    match first[0] {
        b'#' => detect_hash(&lines),
        b'{' => not_fhir_data(detect_json_lines(&lines, sample), sample),
        b'[' => not_fhir_data(
            Some(Detected {
                format: sniff_json_format(sample),
                framing: Framing::JsonDocuments,
            }),
            sample,
        ),
        _ => detect_text(&lines),
    }
}

fn detect_hash(lines: &[&[u8]]) -> Option<Detected> {
    let zeek = lines.iter().any(|l| {
        l.starts_with(b"#separator") || l.starts_with(b"#fields") || l.starts_with(b"#path")
    });
    if zeek {
        return Detected::lines(Format::ZeekTsv);
    }
    // A commented header before other content: look at the first other line.
    let rest: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with(b"#"))
        .collect();
    match rest.first() {
        Some(l) if l.starts_with(b"{") => detect_json_lines(&rest, b""),
        Some(_) => detect_text(&rest),
        None => None,
    }
}

fn detect_json_lines(lines: &[&[u8]], sample: &[u8]) -> Option<Detected> {
    let object =
        |l: &[u8]| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(l).ok();
    let first = lines[0];
    if let Some(obj) = object(first) {
        if obj.get("Records").is_some_and(|r| r.is_array()) {
            return Some(Detected {
                format: Format::CloudTrail,
                framing: Framing::JsonDocuments,
            });
        }
        if obj.contains_key("@odata.context") && obj.get("value").is_some_and(|v| v.is_array()) {
            // A Microsoft Graph page: the records are the `value` elements.
            return Some(Detected {
                format: sniff_json_format(first),
                framing: Framing::JsonDocuments,
            });
        }
        if obj.get("resourceType").and_then(|t| t.as_str()) == Some("Bundle") {
            return Some(Detected {
                format: Format::FhirAudit,
                framing: Framing::JsonDocuments,
            });
        }
        return Detected::lines(classify_keys(|k| has_path(&obj, k)));
    }
    let sniff_source = if sample.is_empty() { first } else { sample };
    if first.ends_with(b"}") {
        // A damaged record of a line format (masked values, truncation):
        // classify by the first line that parses, else by key names.
        let format = lines[1..]
            .iter()
            .find_map(|l| object(l))
            .map(|obj| classify_keys(|k| has_path(&obj, k)))
            .unwrap_or_else(|| sniff_json_format(sniff_source));
        return Detected::lines(format);
    }
    // The first line is not a whole object: a pretty-printed document.
    Some(Detected {
        format: sniff_json_format(sniff_source),
        framing: Framing::JsonDocuments,
    })
}

/// JSON that is data rather than a log of events is claimed by no format
/// (a directory walk skips it; named explicitly it needs `--input-format`
/// or a `--mapping`): FHIR resources other than AuditEvents (a bulk
/// export's `Patient.ndjson`, a Bundle of `MedicationRequest`s; `phiwatch
/// scan` is the command for their content), and generic JSON with none of
/// the time fields a log record would have (ATT&CK data, JSON schemas).
fn not_fhir_data(d: Option<Detected>, sample: &[u8]) -> Option<Detected> {
    let has = |s: &[u8]| memchr::memmem::find(sample, s).is_some();
    let has_key = |k: &str| has(format!("\"{k}\"").as_bytes());
    match d {
        Some(Detected {
            format: Format::JsonLines,
            ..
        }) if has(b"\"resourceType\"") => None,
        Some(Detected {
            format: Format::JsonLines,
            ..
        }) if !crate::jsonl::DEFAULT_TIME_FIELDS.iter().any(|k| has_key(k)) => None,
        Some(Detected {
            format: Format::FhirAudit,
            ..
        }) if !has(b"AuditEvent") => None,
        other => other,
    }
}

/// Whether `obj` has the key `path`: a top-level name (which may itself
/// contain dots, like Zeek's `id.orig_h`), or a dotted path into nested
/// objects (`Event.System`).
fn has_path(obj: &serde_json::Map<String, serde_json::Value>, path: &str) -> bool {
    if obj.contains_key(path) {
        return true;
    }
    let mut parts = path.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let mut cur = match obj.get(first) {
        Some(v) => v,
        None => return false,
    };
    for p in parts {
        match cur.get(p) {
            Some(v) => cur = v,
            None => return false,
        }
    }
    true
}

/// The format of a JSON object, from which keys it has.
fn classify_keys(has: impl Fn(&str) -> bool) -> Format {
    if has("eventVersion") && (has("eventSource") || has("eventName"))
        || has("eventSource") && has("eventName") && has("awsRegion")
    {
        Format::CloudTrail
    } else if has("event_type") && has("timestamp") {
        Format::SuricataEve
    } else if has("ts")
        && [
            "uid",
            "fuid",
            "id.orig_h",
            "id_orig_h",
            "_path",
            "@stream",
            "id",
            "conn_uids",
        ]
        .iter()
        .any(|k| has(k))
    {
        Format::ZeekJson
    } else if windows::detect_json(&has) {
        Format::Windows
    } else if fhir::detect_json(&has) {
        Format::FhirAudit
    } else if okta::detect_json(&has) {
        Format::Okta
    } else if entra::detect_json(&has) {
        Format::EntraSignIn
    } else if mysql::detect_json(&has) {
        Format::MysqlAudit
    } else if mssql::detect_json(&has) {
        Format::MssqlAudit
    } else if access::detect_json(&has) {
        Format::AccessJson
    } else {
        Format::JsonLines
    }
}

/// The format of JSON text that could not be parsed whole, from key names.
fn sniff_json_format(sample: &[u8]) -> Format {
    let has = |k: &str| {
        let quoted = format!("\"{k}\"");
        memchr::memmem::find(sample, quoted.as_bytes()).is_some()
    };
    if has("Records") && has("eventVersion") {
        return Format::CloudTrail;
    }
    classify_keys(has)
}

/// A test of a source's first lines for one text format.
type LinesProbe = fn(&[&[u8]]) -> bool;

fn detect_text(lines: &[&[u8]]) -> Option<Detected> {
    let first = lines.first()?;
    let tokens: Vec<&[u8]> = first
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .collect();
    let vpc_header = tokens.len() >= 3
        && tokens
            .iter()
            .all(|t| std::str::from_utf8(t).is_ok_and(vpcflow::is_field_name));
    let vpc_v2 = tokens.len() == 14
        && tokens[0] == b"2"
        && (tokens[2].starts_with(b"eni-") || tokens[2] == b"-")
        && matches!(tokens[13], b"OK" | b"NODATA" | b"SKIPDATA");
    if vpc_header || vpc_v2 {
        return Detected::lines(Format::VpcFlow);
    }
    // Most specific first: auth.log lines are syslog lines from known
    // programs, so they are tried before syslog.
    let text_formats: [(LinesProbe, Format); 7] = [
        (postgres::detect_csv, Format::PostgresCsv),
        (postgres::detect_text, Format::PostgresLog),
        (mssql::detect_text, Format::MssqlAudit),
        (mysql::detect_text, Format::MysqlAudit),
        (access::detect_text, Format::AccessLog),
        (authlog::detect_text, Format::AuthLog),
        (syslog::detect_text, Format::Syslog),
    ];
    text_formats
        .iter()
        .find(|(looks, _)| looks(lines))
        .and_then(|(_, f)| Detected::lines(*f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sample: &str, format: Option<Format>, framing: Framing) {
        let got = detect(sample.as_bytes());
        assert_eq!(got.map(|d| d.format), format, "{sample}");
        if let Some(d) = got {
            assert_eq!(d.framing, framing, "{sample}");
        }
    }

    #[test]
    fn detects_each_format() {
        use Format::*;
        use Framing::*;
        check(
            "### BTest baseline\n#separator \\x09\n#set_separator\t,\n",
            Some(ZeekTsv),
            Lines,
        );
        check(
            "{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\"}\n",
            Some(ZeekJson),
            Lines,
        );
        check(
            "{\"@stream\":\"conn\",\"ts\":\"2020-04-30T00:00:00Z\",\"id_orig_h\":\"10.0.0.1\"}\n",
            Some(ZeekJson),
            Lines,
        );
        check("{\"ts\":XXXXXXXXXX.XXXXXX,\"uid\":\"C1\"}\n{\"ts\":XXXXXXXXXX.XXXXXX,\"uid\":\"C2\"}\n", Some(ZeekJson), Lines);
        check(
            "{\"timestamp\":\"2020-01-01T00:00:00.0+0000\",\"event_type\":\"flow\"}\n",
            Some(SuricataEve),
            Lines,
        );
        check(
            "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\"}\n",
            Some(CloudTrail),
            Lines,
        );
        check(
            "{\n  \"Records\": [\n    {\n      \"eventVersion\": \"1.08\"",
            Some(CloudTrail),
            JsonDocuments,
        );
        check(
            "[{\"eventVersion\":\"1.08\",\"eventName\":\"x\"}]",
            Some(CloudTrail),
            JsonDocuments,
        );
        check(
            "{\"@timestamp\":\"2020-01-01T00:00:00Z\",\"message\":\"hi\"}\n",
            Some(JsonLines),
            Lines,
        );
        check("{\n \"Records\": [\n  {\"eventVersion\":\"1.08\",\"eventName\":\"x\"},\n  {\"eventVersion\":\"1.08\",\"eventName\":\"y\"}\n ]\n}", Some(CloudTrail), JsonDocuments);
        check("{\n \"time\": 5\n}\n", Some(JsonLines), JsonDocuments);
        check(
            "{\"Event\":{\"System\":{\"EventID\":4624},\"EventData\":{}},\"message\":\"x\"}\n",
            Some(Windows),
            Lines,
        );
        check("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n", Some(VpcFlow), Lines);
        check("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", Some(VpcFlow), Lines);
        check("\u{feff}\n\n#fields\tts\n", Some(ZeekTsv), Lines);
    }

    #[test]
    fn json_without_a_time_field_is_not_a_log() {
        check(
            "{\"id\":\"T1003\",\"name\":\"OS Credential Dumping\"}\n",
            None,
            Framing::Lines,
        );
        check("[{\"id\":\"TA0001\"}]", None, Framing::Lines);
        check(
            "{\"rule_id\":\"x\",\"log\":{\"a\":1}}\n",
            None,
            Framing::Lines,
        );
        check(
            "{\"time\":\"2024-01-01T00:00:00Z\",\"msg\":\"x\"}\n",
            Some(Format::JsonLines),
            Framing::Lines,
        );
    }

    #[test]
    fn fhir_resources_that_are_not_audit_events_are_not_logs() {
        check(
            "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1970-01-01\"}\n",
            None,
            Framing::Lines,
        );
        check("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"Medication\"}}]}", None, Framing::Lines);
        check("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"AuditEvent\",\"recorded\":\"2020-01-01T00:00:00Z\"}}]}", Some(Format::FhirAudit), Framing::JsonDocuments);
    }

    #[test]
    fn rejects_unknown_text() {
        check("hello world\n", None, Framing::Lines);
        check("", None, Framing::Lines);
        check("\x00\x01\x02binary", None, Framing::Lines);
    }
}
