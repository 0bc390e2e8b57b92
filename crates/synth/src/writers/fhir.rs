//! FHIR R4 AuditEvent NDJSON of the EHR's FHIR API.

use phiwatch_event::Timestamp;

use super::{base64, json_str, rfc3339_ms, uuid, Ctx, Naming, Rotating, Style};
use crate::model::{Fhir, Org};
use crate::GenError;

pub(crate) struct FhirWriter {
    log: Rotating,
    observer: String,
}

fn action(interaction: &str) -> &'static str {
    match interaction {
        "read" | "vread" | "history-instance" => "R",
        "create" => "C",
        "update" | "patch" => "U",
        "delete" => "D",
        _ => "E",
    }
}

impl FhirWriter {
    pub(crate) fn new(org: &Org) -> FhirWriter {
        FhirWriter {
            log: Rotating::new(
                "logs/fhir",
                Naming::Daily {
                    stem: "auditevent",
                    ext: "ndjson",
                },
                Style::Plain,
            ),
            observer: format!("{} EHR FHIR API", org.name),
        }
    }

    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        f: &Fhir,
    ) -> Result<(), GenError> {
        line.clear();
        line.push_str("{\"resourceType\":\"AuditEvent\",\"id\":\"");
        line.push_str(&uuid(&mut ctx.rng));
        line.push_str("\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\",\"display\":\"Restful Operation\"},\"subtype\":[");
        if let Some(op) = f.interaction.strip_prefix('$') {
            line.push_str("{\"system\":\"http://hl7.org/fhir/restful-interaction\",\"code\":\"operation\",\"display\":\"operation\"},{\"code\":");
            json_str(line, &format!("${op}"));
            line.push('}');
        } else {
            line.push_str("{\"system\":\"http://hl7.org/fhir/restful-interaction\",\"code\":");
            json_str(line, f.interaction);
            line.push_str(",\"display\":");
            json_str(line, f.interaction);
            line.push('}');
        }
        line.push_str("],\"action\":\"");
        line.push_str(action(f.interaction));
        line.push_str("\",\"recorded\":\"");
        rfc3339_ms(line, t);
        line.push_str("\",\"outcome\":\"");
        line.push_str(if f.status < 400 { "0" } else { "8" });
        line.push_str("\",\"agent\":[{\"type\":");
        if f.app {
            line.push_str("{\"coding\":[{\"system\":\"http://dicom.nema.org/resources/ontology/DCM\",\"code\":\"110150\",\"display\":\"Application\"}]},\"who\":{\"identifier\":{\"system\":\"urn:example:ehr:clients\",\"value\":");
        } else {
            line.push_str("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/extra-security-role-type\",\"code\":\"humanuser\",\"display\":\"human user\"}]},\"who\":{\"identifier\":{\"system\":\"urn:example:ehr:users\",\"value\":");
        }
        json_str(line, &f.agent);
        line.push_str("},\"display\":");
        json_str(line, &f.agent);
        line.push_str("},\"requestor\":true,\"network\":{\"address\":\"");
        line.push_str(&f.client.to_string());
        line.push_str(
            "\",\"type\":\"2\"}}],\"source\":{\"site\":\"ehr-prod\",\"observer\":{\"display\":",
        );
        json_str(line, &self.observer);
        line.push_str("},\"type\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/security-source-type\",\"code\":\"3\",\"display\":\"Web Server\"}]},\"entity\":[");
        let mut first = true;
        for p in &f.patients {
            if !first {
                line.push(',');
            }
            first = false;
            line.push_str("{\"what\":{\"reference\":");
            json_str(line, &format!("Patient/{p}"));
            line.push_str("},\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-entity-type\",\"code\":\"1\",\"display\":\"Person\"},\"role\":{\"system\":\"http://terminology.hl7.org/CodeSystem/object-role\",\"code\":\"1\",\"display\":\"Patient\"}}");
        }
        if f.path.contains('?') || f.interaction.starts_with('$') {
            if !first {
                line.push(',');
            }
            line.push_str("{\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-entity-type\",\"code\":\"2\",\"display\":\"System Object\"},\"role\":{\"system\":\"http://terminology.hl7.org/CodeSystem/object-role\",\"code\":\"24\",\"display\":\"Query\"},\"query\":\"");
            base64(f.path.as_bytes(), line);
            line.push_str("\"}");
        }
        line.push_str("]}\n");
        self.log.write(ctx, t, line.as_bytes(), 1)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.log.close(ctx)
    }
}
