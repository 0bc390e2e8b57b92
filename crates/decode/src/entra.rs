//! Microsoft Entra ID (Azure AD) sign-in logs, in the two JSON forms they
//! are exported in:
//!
//! - the Microsoft Graph `signIn` resource (`GET /auditLogs/signIns`, one
//!   element of `value` per record): `createdDateTime`, `userPrincipalName`,
//!   `ipAddress`, `status.errorCode`, …;
//! - the Azure Monitor diagnostic-settings export (Event Hub, storage
//!   account): an envelope `{time, resourceId, operationName, category,
//!   resultType, callerIpAddress, …, properties: {…the signIn fields…}}`
//!   whose `category` is `SignInLogs`, `NonInteractiveUserSignInLogs`,
//!   `ServicePrincipalSignInLogs` or `ManagedIdentitySignInLogs`.
//!
//! Raw fields keep the source's dotted names (`properties.status.errorCode`
//! in the envelope form); the user, client address and place, application,
//! outcome and MFA facts are added under ECS and `phiwatch.*` names.

use phiwatch_event::{keys, Event, Key, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, Conv};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct EntraDecoder;

impl EntraDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        EntraDecoder
    }
}

/// The envelope's sign-in categories.
const SIGN_IN_CATEGORIES: &[&str] = &[
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
];

/// Where the signIn fields are: at the top (Graph) or under `properties.`
/// (Azure Monitor envelope).
#[derive(Clone, Copy)]
struct Form {
    enveloped: bool,
}

impl Form {
    /// The raw name of signIn field `name` in this form.
    fn name(self, name: &'static str) -> std::borrow::Cow<'static, str> {
        if self.enveloped {
            std::borrow::Cow::Owned(format!("properties.{name}"))
        } else {
            std::borrow::Cow::Borrowed(name)
        }
    }

    fn get<'e>(self, ev: &'e Event, name: &'static str) -> Option<ValueRef<'e>> {
        ev.get_by_name(&self.name(name))
            .filter(|v| !matches!(v, ValueRef::Null))
    }

    fn text<'e>(self, ev: &'e Event, name: &'static str) -> Option<&'e str> {
        self.get(ev, name).and_then(|v| v.as_str())
    }

    fn alias(self, ev: &mut Event, from: &'static str, to: Key, conv: Conv) -> bool {
        json::alias(ev, &self.name(from), to, conv)
    }
}

impl Decoder for EntraDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(mut ev) = json::flatten_record(record, 96, 96)? else {
            return Ok(None);
        };
        if ev.fields().any(|f| f.name.starts_with("value."))
            && ev.get_raw("createdDateTime").is_none()
        {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "a whole Microsoft Graph page ({\"value\":[…]}) was given as one record; \
                 it must be framed into one record per element of `value`",
            ));
        }
        let form = Form {
            enveloped: ev.fields().any(|f| f.name.starts_with("properties.")),
        };
        if form.enveloped {
            check_category(&ev)?;
        }
        ev.set_time(record_time(&ev, form)?);
        ev.set_origin(origin);
        json::tag(&mut ev, "entra", "entra.signin", "entra-signin");
        ev.push_norm(keys::CLOUD_PROVIDER, Value::Static("azure"));
        ev.push_norm(keys::EVENT_CATEGORY, Value::Static("authentication"));
        action(&mut ev, form);
        form.alias(&mut ev, "id", keys::EVENT_ID, Conv::Same);
        if !form.alias(&mut ev, "sessionId", keys::PHIWATCH_SESSION_ID, Conv::Same) {
            form.alias(
                &mut ev,
                "correlationId",
                keys::PHIWATCH_SESSION_ID,
                Conv::Same,
            );
        }
        if !json::alias(&mut ev, "tenantId", keys::CLOUD_ACCOUNT_ID, Conv::Same) {
            form.alias(&mut ev, "tenantId", keys::CLOUD_ACCOUNT_ID, Conv::Same);
        }
        user(&mut ev, form);
        source(&mut ev, form)?;
        form.alias(
            &mut ev,
            "appDisplayName",
            keys::CLIENT_APPLICATION,
            Conv::Same,
        );
        form.alias(&mut ev, "userAgent", keys::USER_AGENT_ORIGINAL, Conv::Same);
        let success = outcome(&mut ev, form)?;
        auth(&mut ev, form, success);
        Ok(Some(ev))
    }
}

/// An envelope of another Entra log (audit, provisioning) is not a sign-in.
fn check_category(ev: &Event) -> Result<(), DecodeError> {
    match ev.get_raw("category") {
        None | Some(ValueRef::Null) => Ok(()),
        Some(ValueRef::Str(c)) if SIGN_IN_CATEGORIES.iter().any(|s| s.eq_ignore_ascii_case(c)) => {
            Ok(())
        }
        Some(_) => Err(DecodeError::new(
            ErrorKind::Schema,
            "field `category`: expected a sign-in log category (SignInLogs, \
             NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs, \
             ManagedIdentitySignInLogs)",
        )),
    }
}

/// `createdDateTime`, else the envelope's `time`.
fn record_time(ev: &Event, form: Form) -> Result<Timestamp, DecodeError> {
    let created = form.name("createdDateTime");
    json::rfc3339_field(ev, &created)
        .or_else(|| {
            if form.enveloped {
                json::rfc3339_field(ev, "time")
            } else {
                None
            }
        })
        .unwrap_or_else(|| {
            Err(DecodeError::new(
                ErrorKind::Time,
                format!(
                    "missing time: `{created}`{} is absent",
                    if form.enveloped { " and `time`" } else { "" }
                ),
            ))
        })
}

/// `sign-in` for interactive user sign-ins; `non-interactive-sign-in`,
/// `service-principal-sign-in` and `managed-identity-sign-in` for the
/// others (from the envelope's category, else `isInteractive` and the
/// presence of a service principal without a user).
fn action(ev: &mut Event, form: Form) {
    let cat = ev
        .get_raw("category")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let a = if cat.eq_ignore_ascii_case("ServicePrincipalSignInLogs") {
        "service-principal-sign-in"
    } else if cat.eq_ignore_ascii_case("ManagedIdentitySignInLogs") {
        "managed-identity-sign-in"
    } else if cat.eq_ignore_ascii_case("NonInteractiveUserSignInLogs")
        || form.get(ev, "isInteractive") == Some(ValueRef::Bool(false))
    {
        if form.text(ev, "userPrincipalName").is_none()
            && form.text(ev, "servicePrincipalId").is_some()
        {
            "service-principal-sign-in"
        } else {
            "non-interactive-sign-in"
        }
    } else {
        "sign-in"
    };
    ev.push_norm(keys::EVENT_ACTION, Value::Static(a));
}

/// The user (UPN, object id, display name); for a service principal
/// sign-in, the service principal's name and id.
fn user(ev: &mut Event, form: Form) {
    if form.alias(ev, "userPrincipalName", keys::USER_NAME, Conv::Same) {
        ev.push_norm(keys::PHIWATCH_USER_TYPE, Value::Static("User"));
        form.alias(ev, "userId", keys::USER_ID, Conv::Same);
        form.alias(ev, "userDisplayName", keys::USER_FULL_NAME, Conv::Same);
    } else if form.alias(ev, "servicePrincipalName", keys::USER_NAME, Conv::Same) {
        ev.push_norm(keys::PHIWATCH_USER_TYPE, Value::Static("ServicePrincipal"));
        form.alias(ev, "servicePrincipalId", keys::USER_ID, Conv::Same);
    } else {
        form.alias(ev, "userId", keys::USER_ID, Conv::Same);
        form.alias(ev, "userDisplayName", keys::USER_FULL_NAME, Conv::Same);
    }
}

/// The client address (else the envelope's `callerIpAddress`), its place
/// (`countryOrRegion` is an ISO 3166 code) and autonomous system.
fn source(ev: &mut Event, form: Form) -> Result<(), DecodeError> {
    if !form.alias(ev, "ipAddress", keys::SOURCE_IP, Conv::Ip) && form.enveloped {
        json::alias(ev, "callerIpAddress", keys::SOURCE_IP, Conv::Ip);
    }
    form.alias(
        ev,
        "location.countryOrRegion",
        keys::SOURCE_GEO_COUNTRY_ISO_CODE,
        Conv::Same,
    );
    form.alias(
        ev,
        "location.state",
        keys::SOURCE_GEO_REGION_NAME,
        Conv::Same,
    );
    form.alias(ev, "location.city", keys::SOURCE_GEO_CITY_NAME, Conv::Same);
    float(
        ev,
        form,
        "location.geoCoordinates.latitude",
        keys::SOURCE_GEO_LATITUDE,
    )?;
    float(
        ev,
        form,
        "location.geoCoordinates.longitude",
        keys::SOURCE_GEO_LONGITUDE,
    )?;
    json::copy_checked(
        ev,
        &form.name("autonomousSystemNumber"),
        keys::SOURCE_AS_NUMBER,
        Conv::Int,
    )?;
    Ok(())
}

/// Copies a number (or numeric text) as a float; anything else is an error.
fn float(ev: &mut Event, form: Form, from: &'static str, to: Key) -> Result<(), DecodeError> {
    let Some(v) = form.get(ev, from) else {
        return Ok(());
    };
    match v.as_f64() {
        Some(f) if f.is_finite() => {
            ev.push_norm(to, Value::Float(f));
            Ok(())
        }
        _ => Err(json::type_error(&form.name(from), "a number")),
    }
}

/// `status.errorCode` 0 is a success, any other code a failure (Entra
/// logs interrupts such as "MFA required" as failures too); without a
/// status, the envelope's `resultType` says the same. A failure's code is
/// `error.code` and its `failureReason` the `event.reason`. Returns whether
/// the sign-in succeeded, when known.
fn outcome(ev: &mut Event, form: Form) -> Result<Option<bool>, DecodeError> {
    let code_name = form.name("status.errorCode");
    let code = match ev.get_by_name(&code_name) {
        None | Some(ValueRef::Null) => match ev.get_raw("resultType") {
            None | Some(ValueRef::Null) => None,
            Some(v) if form.enveloped => Some(
                v.as_i64()
                    .ok_or_else(|| json::type_error("resultType", "an integer error code"))?,
            ),
            Some(_) => None,
        },
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| json::type_error(&code_name, "an integer error code"))?,
        ),
    };
    let Some(code) = code else {
        return Ok(None);
    };
    let success = code == 0;
    ev.push_norm(
        keys::EVENT_OUTCOME,
        Value::Static(if success { "success" } else { "failure" }),
    );
    if !success {
        ev.push_norm_str(keys::ERROR_CODE, &code.to_string());
        if !form.alias(ev, "status.failureReason", keys::EVENT_REASON, Conv::Same) && form.enveloped
        {
            json::alias(ev, "resultDescription", keys::EVENT_REASON, Conv::Same);
        }
    }
    Ok(Some(success))
}

/// How the user authenticated and whether MFA was used.
///
/// The method is the first step of `authenticationDetails`
/// (`authenticationMethod`, e.g. `Password`), else `mfaDetail.authMethod`,
/// lowercased. MFA is used when `mfaDetail.authMethod` is set, when a step's
/// `authenticationStepResultDetail` says MFA was completed or satisfied,
/// or when MFA was required (`authenticationRequirement`
/// `multiFactorAuthentication`) and the sign-in succeeded. MFA is not used
/// when only a single factor was required and nothing says otherwise.
/// Otherwise (MFA required but the sign-in failed) it is left unset.
fn auth(ev: &mut Event, form: Form, success: Option<bool>) {
    let method_fields = [
        "authenticationDetails.authenticationMethod",
        "mfaDetail.authMethod",
    ];
    for f in method_fields {
        if form.text(ev, f).is_some_and(|s| !s.is_empty())
            && form.alias(ev, f, keys::AUTH_METHOD, Conv::Lower)
        {
            break;
        }
    }
    let by_detail = form
        .text(ev, "mfaDetail.authMethod")
        .is_some_and(|s| !s.is_empty());
    let step_name = form.name("authenticationDetails.authenticationStepResultDetail");
    let by_step = ev.fields().any(|f| {
        f.name == step_name
            && f.value.as_str().is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("mfa") && (s.contains("completed") || s.contains("satisfied"))
            })
    });
    let required = form.text(ev, "authenticationRequirement");
    let mfa = if by_detail || by_step {
        Some(true)
    } else {
        match required {
            Some(r) if r.eq_ignore_ascii_case("multiFactorAuthentication") => {
                (success == Some(true)).then_some(true)
            }
            Some(r) if r.eq_ignore_ascii_case("singleFactorAuthentication") => Some(false),
            _ => None,
        }
    };
    if let Some(b) = mfa {
        ev.push_norm(keys::PHIWATCH_AUTH_MFA, Value::Bool(b));
    }
}

/// Whether a JSON object with these keys is an Entra sign-in: a Graph
/// `signIn`, or an Azure Monitor envelope (whose category the decoder
/// checks).
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    let graph = has("createdDateTime")
        && (has("userPrincipalName") || has("appDisplayName") || has("servicePrincipalId"))
        && (has("ipAddress") || has("status"));
    let envelope = has("operationName")
        && has("properties")
        && has("category")
        && (has("callerIpAddress") || has("resultType"))
        && (has("properties.createdDateTime")
            || has("properties.userPrincipalName")
            || has("resourceId"));
    graph || envelope
}
