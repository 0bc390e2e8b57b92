//! `csv`: a header and one row per finding (RFC 4180 quoting).

use std::io::Write;

use super::FindingSink;
use crate::finding::Finding;

/// The header row, in column order.
pub const CSV_HEADER: &str =
    "id,time,end_time,detector,rule_id,rule_title,level,tactics,techniques,user,host,ip,score,summary,evidence";

/// Writes a header, then one row per finding.
///
/// List columns join with `;`: `tactics` and `techniques` hold ids
/// (`TA0010;TA0006`, an unknown tactic by its shortname), `evidence` holds
/// the `path:line` sources. A field is quoted when it contains `,`, `"`, CR,
/// LF, or starts or ends with a space; quotes inside are doubled. Rows end
/// with `\n`. The header is written even when there are no findings.
#[derive(Debug)]
pub struct CsvSink<W: Write> {
    out: W,
    header_done: bool,
}

impl<W: Write> CsvSink<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        CsvSink {
            out,
            header_done: false,
        }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn header(&mut self) -> std::io::Result<()> {
        if !self.header_done {
            self.header_done = true;
            self.out.write_all(CSV_HEADER.as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Appends `field` to a CSV `row`, quoted as RFC 4180 says when it holds a
/// comma, a quote or a line break, or starts or ends with a space.
pub fn push_field(row: &mut String, field: &str) {
    let needs =
        field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ');
    if needs {
        row.push('"');
        row.push_str(&field.replace('"', "\"\""));
        row.push('"');
    } else {
        row.push_str(field);
    }
}

fn row(f: &Finding) -> String {
    let tactics: Vec<&str> = f
        .attack
        .tactics
        .iter()
        .map(|t| {
            if t.id.is_empty() {
                t.shortname.as_str()
            } else {
                t.id.as_str()
            }
        })
        .collect();
    let techniques: Vec<&str> = f.attack.techniques.iter().map(|t| t.id.as_str()).collect();
    let evidence: Vec<&str> = f.evidence.iter().map(|e| e.source.as_str()).collect();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let fields = [
        f.id.clone(),
        f.time.to_rfc3339(),
        f.end_time.to_rfc3339(),
        f.detector.to_string(),
        f.rule.id.clone(),
        f.rule.title.clone(),
        f.rule.level.to_string(),
        tactics.join(";"),
        techniques.join(";"),
        opt(&f.entity.user),
        opt(&f.entity.host),
        opt(&f.entity.ip),
        f.score.to_string(),
        f.summary.clone(),
        evidence.join(";"),
    ];
    let mut out = String::with_capacity(256);
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, field);
    }
    out.push('\n');
    out
}

impl<W: Write> FindingSink for CsvSink<W> {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        self.header()?;
        self.out.write_all(row(f).as_bytes())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::push_field;

    fn q(s: &str) -> String {
        let mut out = String::new();
        push_field(&mut out, s);
        out
    }

    #[test]
    fn quoting() {
        assert_eq!(q("plain"), "plain");
        assert_eq!(q(""), "");
        assert_eq!(q("a,b"), "\"a,b\"");
        assert_eq!(q("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(q("two\nlines"), "\"two\nlines\"");
        assert_eq!(q("cr\r"), "\"cr\r\"");
        assert_eq!(q(" padded"), "\" padded\"");
    }
}
