//! Writing events: JSON lines (the stable, scriptable form) and a table.

use std::io::{self, Write};

use phiwatch_event::{keys, Event, FieldKind, FieldRef, Key, ValueRef};
use phiwatch_ingest::SourceInfo;

/// Output forms of `phiwatch events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// One JSON object per line.
    Jsonl,
    /// Aligned columns for reading.
    Table,
}

/// Which fields `events` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FieldSet {
    /// Normalized fields and raw fields.
    All,
    /// Only normalized (ECS / OTel / phiwatch) fields.
    Normalized,
    /// Only the source's own fields.
    Raw,
}

/// Writes one event as a JSON line:
/// `{"time":…,"dataset":…,"format":…,"origin":{"path":…,"line":…,"offset":…},"fields":{…},"raw":{…}}`.
pub fn write_jsonl(
    out: &mut (impl Write + ?Sized),
    ev: &Event,
    sources: &[SourceInfo],
    set: FieldSet,
    buf: &mut String,
) -> io::Result<()> {
    buf.clear();
    buf.push_str("{\"time\":\"");
    ev.time().write_rfc3339(buf);
    buf.push('"');
    for (name, key) in [
        ("dataset", keys::EVENT_DATASET),
        ("format", keys::PHIWATCH_FORMAT),
    ] {
        if let Some(v) = ev.get(key) {
            buf.push_str(",\"");
            buf.push_str(name);
            buf.push_str("\":");
            json_value(buf, v);
        }
    }
    let o = ev.origin();
    buf.push_str(",\"origin\":{\"path\":");
    let path = sources.get(o.source.0 as usize).map_or("?", |s| &s.path);
    json_str(buf, path);
    if o.line > 0 {
        buf.push_str(&format!(",\"line\":{}", o.line));
    }
    buf.push_str(&format!(",\"offset\":{}}}", o.offset));
    if set != FieldSet::Raw {
        buf.push_str(",\"fields\":");
        json_fields(buf, ev, |k| k != FieldKind::Raw);
    }
    if set != FieldSet::Normalized {
        buf.push_str(",\"raw\":");
        json_fields(buf, ev, |k| k != FieldKind::Normalized);
    }
    buf.push_str("}\n");
    out.write_all(buf.as_bytes())
}

/// Writes the selected fields as a JSON object; a repeated name becomes an array.
fn json_fields(buf: &mut String, ev: &Event, keep: impl Fn(FieldKind) -> bool) {
    buf.push('{');
    let fields: Vec<FieldRef<'_>> = ev
        .fields()
        .filter(|f| keep(f.kind))
        .filter(|f| f.key != Some(keys::EVENT_DATASET) && f.key != Some(keys::PHIWATCH_FORMAT))
        .collect();
    // Registered names compare as integers; only dynamic names compare text.
    let same = |a: &FieldRef<'_>, b: &FieldRef<'_>| match (a.key, b.key) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.name == b.name,
        _ => false,
    };
    let mut first = true;
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| same(g, f)) {
            continue;
        }
        if !first {
            buf.push(',');
        }
        first = false;
        json_str(buf, f.name);
        buf.push(':');
        let repeats = fields[i + 1..].iter().filter(|g| same(g, f)).count();
        if repeats == 0 {
            json_value(buf, f.value);
        } else {
            // A name that repeats (an array of objects in the source).
            buf.push('[');
            for (j, g) in fields[i..].iter().filter(|g| same(g, f)).enumerate() {
                if j > 0 {
                    buf.push(',');
                }
                json_value(buf, g.value);
            }
            buf.push(']');
        }
    }
    buf.push('}');
}

/// Appends a value as JSON.
pub fn json_value(buf: &mut String, v: ValueRef<'_>) {
    use std::fmt::Write as _;
    match v {
        ValueRef::Null => buf.push_str("null"),
        ValueRef::Bool(b) => buf.push_str(if b { "true" } else { "false" }),
        ValueRef::Int(i) => buf.push_str(itoa::Buffer::new().format(i)),
        ValueRef::Float(f) if f.is_finite() => {
            let _ = write!(buf, "{f}");
        }
        ValueRef::Float(_) => buf.push_str("null"),
        ValueRef::Str(s) => json_str(buf, s),
        ValueRef::Ip(ip) => {
            let _ = write!(buf, "\"{ip}\"");
        }
        ValueRef::Time(t) => {
            buf.push('"');
            t.write_rfc3339(buf);
            buf.push('"');
        }
        ValueRef::List(l) => {
            buf.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                json_value(buf, item);
            }
            buf.push(']');
        }
    }
}

/// Appends a JSON string literal.
pub fn json_str(buf: &mut String, s: &str) {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // The common case: nothing to escape.
        buf.reserve(s.len() + 2);
        buf.push('"');
        buf.push_str(s);
        buf.push('"');
        return;
    }
    buf.push('"');
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        buf.push_str(&s[last..i]);
        if esc.is_empty() {
            buf.push_str(&format!("\\u{b:04x}"));
        } else {
            buf.push_str(esc);
        }
        last = i + 1;
    }
    buf.push_str(&s[last..]);
    buf.push('"');
}

/// The table header.
pub fn table_header(out: &mut (impl Write + ?Sized)) -> io::Result<()> {
    writeln!(
        out,
        "{:<27}  {:<16}  {:<40}  {:<40}  SUMMARY",
        "TIME", "DATASET", "SOURCE", "DESTINATION"
    )
}

/// Writes one event as a table row.
pub fn write_table(out: &mut (impl Write + ?Sized), ev: &Event) -> io::Result<()> {
    let get = |k: Key| ev.get(k).filter(|v| !v.is_null()).map(|v| v.to_string());
    let endpoint = |ip: Key, port: Key, alt: &[Key]| {
        match (get(ip), get(port)) {
            (Some(ip), Some(p)) if ip.contains(':') => Some(format!("[{ip}]:{p}")),
            (Some(ip), Some(p)) => Some(format!("{ip}:{p}")),
            (Some(ip), None) => Some(ip),
            _ => alt.iter().find_map(|k| get(*k)),
        }
        .unwrap_or_else(|| "-".into())
    };
    let from = endpoint(
        keys::SOURCE_IP,
        keys::SOURCE_PORT,
        &[keys::SOURCE_DOMAIN, keys::CLIENT_IP, keys::CLIENT_ADDRESS],
    );
    let src = match get(keys::USER_NAME) {
        Some(u) if from == "-" => u,
        Some(u) => format!("{u}@{from}"),
        None => from,
    };
    let dst = endpoint(
        keys::DESTINATION_IP,
        keys::DESTINATION_PORT,
        &[
            keys::URL_DOMAIN,
            keys::TLS_CLIENT_SERVER_NAME,
            keys::EVENT_PROVIDER,
            keys::DB_NAME,
            keys::HOST_NAME,
        ],
    );
    let mut summary = Vec::new();
    for k in [
        keys::NETWORK_TRANSPORT,
        keys::NETWORK_PROTOCOL,
        keys::EVENT_ACTION,
        keys::DB_OPERATION,
        keys::DB_SQL_TABLE,
        keys::RESOURCE_TYPE,
        keys::DNS_QUESTION_NAME,
        keys::HTTP_REQUEST_METHOD,
        keys::URL_ORIGINAL,
        keys::HTTP_RESPONSE_STATUS_CODE,
        keys::TLS_CLIENT_SERVER_NAME,
        keys::RULE_NAME,
        keys::PHIWATCH_OBJECT_BUCKET,
        keys::EVENT_OUTCOME,
    ] {
        if let Some(v) = get(k) {
            summary.push(v);
        }
    }
    if let Some(rows) = get(keys::DB_RESPONSE_RETURNED_ROWS) {
        summary.push(format!("{rows} rows"));
    }
    if let Some(ValueRef::List(ids)) = ev.get(keys::PATIENT_IDS) {
        summary.push(format!("{} patients", ids.len()));
    }
    if let (Some(up), Some(down)) = (get(keys::SOURCE_BYTES), get(keys::DESTINATION_BYTES)) {
        summary.push(format!("{up}B↑ {down}B↓"));
    } else if let Some(b) = get(keys::SOURCE_BYTES).or_else(|| get(keys::PHIWATCH_OBJECT_BYTES_OUT))
    {
        summary.push(format!("{b}B"));
    }
    let mut line = summary.join(" ");
    truncate(&mut line, 120);
    let mut src = src;
    let mut dst = dst;
    truncate(&mut src, 40);
    truncate(&mut dst, 40);
    writeln!(
        out,
        "{:<27}  {:<16}  {:<40}  {:<40}  {}",
        ev.time().to_rfc3339(),
        get(keys::EVENT_DATASET).unwrap_or_default(),
        src,
        dst,
        line
    )
}

fn truncate(s: &mut String, max: usize) {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max - 1).collect();
        *s = cut + "…";
    }
}

/// Where a command's records go: `-o FILE` or standard output, buffered.
pub fn open_output(path: Option<&std::path::PathBuf>) -> Result<Box<dyn Write>, crate::CliError> {
    const BUF: usize = 256 * 1024;
    Ok(match path {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?;
            Box::new(io::BufWriter::with_capacity(BUF, f))
        }
        None => Box::new(io::BufWriter::with_capacity(BUF, io::stdout().lock())),
    })
}

/// The outcome of writing records: a closed pipe (`| head`) is not an
/// error; anything else is, with `what` could not be written.
pub fn written(result: io::Result<()>, what: &str) -> Result<(), crate::CliError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::Error::from(e)
            .context(format!("cannot write {what}"))
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut b = String::new();
        json_str(&mut b, "a\"b\\c\nd\u{1}é");
        assert_eq!(b, r#""a\"b\\c\nd\u0001é""#);
    }
}
