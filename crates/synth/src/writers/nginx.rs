//! nginx access log of the EHR API: `combined` plus `$request_time
//! $upstream_response_time "$http_x_forwarded_for"`.

use std::fmt::Write as _;

use phiwatch_event::Timestamp;

use super::{Civil, Ctx, Naming, Rotating, Style};
use crate::model::Fhir;
use crate::GenError;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub(crate) struct Nginx {
    log: Rotating,
}

fn method(interaction: &str) -> &'static str {
    match interaction {
        "create" => "POST",
        "update" => "PUT",
        "patch" => "PATCH",
        "delete" => "DELETE",
        _ => "GET",
    }
}

/// A request target or header as nginx escapes it: `"` and `\` and control
/// bytes as `\xNN`; spaces in the target as `%20`.
fn escaped(out: &mut String, s: &str, target: bool) {
    for ch in s.chars() {
        match ch {
            ' ' if target => out.push_str("%20"),
            '"' | '\\' => {
                let _ = write!(out, "\\x{:02X}", ch as u32);
            }
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

impl Nginx {
    pub(crate) fn new() -> Nginx {
        Nginx {
            log: Rotating::new(
                "logs/nginx",
                Naming::Daily {
                    stem: "access",
                    ext: "log",
                },
                Style::Plain,
            ),
        }
    }

    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        f: &Fhir,
    ) -> Result<(), GenError> {
        let c = Civil::of(t.as_secs());
        line.clear();
        let _ = write!(
            line,
            "{} - - [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"{} ",
            f.client,
            c.d,
            MONTHS[(c.m as usize).saturating_sub(1) % 12],
            c.y,
            c.hh,
            c.mm,
            c.ss,
            method(f.interaction)
        );
        escaped(line, if f.path.is_empty() { "/" } else { &f.path }, true);
        let upstream = 0.002 + f.bytes as f64 / 40e6 + ctx.rng.unit() * 0.04;
        let total = upstream + 0.0005 + ctx.rng.unit() * 0.002;
        let _ = write!(line, " HTTP/1.1\" {} {} \"-\" \"", f.status, f.bytes);
        escaped(
            line,
            if f.user_agent.is_empty() {
                "-"
            } else {
                &f.user_agent
            },
            false,
        );
        let _ = writeln!(line, "\" {total:.3} {upstream:.3} \"-\"");
        self.log.write(ctx, t, line.as_bytes(), 1)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.log.close(ctx)
    }
}
