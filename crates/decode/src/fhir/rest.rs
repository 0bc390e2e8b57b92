//! FHIR REST URLs (`[base]/Patient/123`, `?patient=…`), shared with the
//! access-log decoders, which see the same calls from the web server's side.

use crate::url::percent_decode;

use super::entities::{is_id, is_type_name, parse_reference, Ids};

/// What a FHIR REST path says: `[base]/Patient/123/_history/2`,
/// `[base]/Observation?…`, `[base]/Group/7/$export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rest<'a> {
    /// The resource type (`Patient`), or `""` for a system-level call.
    pub(crate) resource_type: &'a str,
    /// The resource id.
    pub(crate) id: Option<&'a str>,
    /// An operation (`$export`), with its `$`.
    pub(crate) operation: Option<&'a str>,
    /// A version id (`_history/2`), or `Some("")` for a history call.
    pub(crate) history: Option<&'a str>,
    /// `_search` (a POST search).
    pub(crate) search: bool,
}

impl Rest<'_> {
    /// The FHIR interaction for an HTTP method: `read`, `vread`,
    /// `search-type`, `$export`, … .
    pub(crate) fn interaction(&self, method: &str) -> Option<&str> {
        if let Some(op) = self.operation {
            return Some(op);
        }
        if self.resource_type.is_empty() {
            return None;
        }
        Some(match (method, self.id, self.history) {
            ("GET" | "HEAD", Some(_), Some(v)) if !v.is_empty() => "vread",
            ("GET" | "HEAD", Some(_), Some(_)) => "history-instance",
            ("GET" | "HEAD", None, Some(_)) => "history-type",
            ("GET" | "HEAD", Some(_), None) => "read",
            ("GET" | "HEAD", None, None) => "search-type",
            ("POST", None, _) if self.search => "search-type",
            ("POST", None, _) => "create",
            ("PUT", _, _) => "update",
            ("PATCH", _, _) => "patch",
            ("DELETE", _, _) => "delete",
            _ => return None,
        })
    }
}

/// The FHIR REST facts of a URL path (not decoded; segments are matched as
/// they are), when one of its segments is an R4 resource type or an
/// operation. `known_only` limits resource types to the R4 list (for
/// arbitrary web paths); FHIR audit queries accept any capitalised name.
pub(crate) fn rest_facts(known_only: bool, path: &str) -> Option<Rest<'_>> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_type = |s: &str| {
        R4_TYPES.binary_search(&s).is_ok() || !known_only && is_type_name(s) && s.len() > 2
    };
    let start = segs.iter().position(|s| is_type(s));
    let Some(i) = start else {
        // A system-level operation: `[base]/$export`.
        let op = segs.last().filter(|s| s.starts_with('$') && s.len() > 1)?;
        let looks_fhir = segs.len() == 1 || segs.iter().any(|s| s.eq_ignore_ascii_case("fhir"));
        return looks_fhir.then_some(Rest {
            resource_type: "",
            id: None,
            operation: Some(op),
            history: None,
            search: false,
        });
    };
    let mut rest = Rest {
        resource_type: segs[i],
        id: None,
        operation: None,
        history: None,
        search: false,
    };
    let mut tail = segs.get(i + 1..).unwrap_or(&[]).iter();
    match tail.next() {
        None => {}
        Some(s) if s.starts_with('$') => rest.operation = Some(s),
        Some(&"_search") => rest.search = true,
        Some(&"_history") => rest.history = Some(tail.next().copied().unwrap_or("")),
        Some(s) if is_id(s) => {
            rest.id = Some(s);
            match tail.next() {
                Some(s) if s.starts_with('$') => rest.operation = Some(s),
                Some(&"_history") => rest.history = Some(tail.next().copied().unwrap_or("")),
                _ => {}
            }
        }
        Some(_) => return None,
    }
    Some(rest)
}

/// Patient ids named by a FHIR search query (raw, percent-encoded):
/// `patient=123`, `subject=Patient/123`, `patient:Patient=…`, and `_id=`
/// on a Patient search. Comma-separated values give several ids.
pub(crate) fn patient_ids_from_query(resource_type: Option<&str>, query: &str, out: &mut Ids) {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name.as_bytes(), true);
        let name = name.split(|&b| b == b':').next().unwrap_or(&[]);
        let kind = match name {
            b"patient" | b"beneficiary" => 1,
            b"subject" => 2,
            b"_id" if resource_type == Some("Patient") => 1,
            _ => continue,
        };
        let value = percent_decode(value.as_bytes(), true);
        let Ok(value) = std::str::from_utf8(&value) else {
            continue;
        };
        for v in value.split(',') {
            let v = v.trim();
            match parse_reference(v) {
                Some(("Patient", id)) => out.add(id),
                Some(_) => {}
                None if kind == 1 && is_id(v) => out.add(v),
                None => {}
            }
        }
    }
}

/// The FHIR R4 resource types, sorted (for `binary_search`).
const R4_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_sorted() {
        assert!(R4_TYPES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn rest_paths() {
        let r = rest_facts(true, "/fhir/r4/Patient/123/_history/2").unwrap();
        assert_eq!(r.interaction("GET"), Some("vread"));
        let r = rest_facts(true, "/fhir/Group/g1/$export").unwrap();
        assert_eq!(
            (r.resource_type, r.interaction("GET")),
            ("Group", Some("$export"))
        );
        let r = rest_facts(true, "/fhir/$export").unwrap();
        assert_eq!(r.interaction("GET"), Some("$export"));
        assert!(rest_facts(true, "/static/app.js").is_none());
        let mut ids = Ids::default();
        patient_ids_from_query(
            Some("Observation"),
            "patient=p1,p2&subject=Patient%2Fp3&code=x",
            &mut ids,
        );
        assert_eq!(ids.0, ["p1", "p2", "p3"]);
        let mut many = Ids::default();
        for i in 0..1000 {
            many.add(&format!("p{}", i % 50));
        }
        assert_eq!(many.0.len(), 50);
        assert_eq!(many.0[49], "p49");
    }
}
