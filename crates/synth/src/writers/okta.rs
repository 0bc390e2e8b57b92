//! Okta System Log NDJSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use phiwatch_event::Timestamp;

use super::{base62, json_str, rfc3339_ms, uuid, Ctx, Naming, Rotating, Style};
use crate::model::{Okta, Org};
use crate::GenError;

pub(crate) struct OktaWriter {
    log: Rotating,
    /// Display names by Okta user id.
    names: BTreeMap<String, String>,
}

fn display_message(event_type: &str) -> &'static str {
    match event_type {
        "user.session.start" => "User login to Okta",
        "user.session.end" => "User logout from Okta",
        "user.authentication.auth_via_mfa" => "Authentication of user via MFA",
        "user.authentication.sso" => "User single sign on to app",
        "user.authentication.verify" => "Verify user identity",
        "user.account.lock" => "Max sign in attempts exceeded",
        "user.account.unlock" => "Unlock user account",
        "user.mfa.factor.deactivate" => "Reset factor for user",
        "user.mfa.factor.activate" => "Activate factor for user",
        "user.account.reset_password" => "Fired when the user's Okta password is reset",
        "policy.evaluate_sign_on" => "Evaluation of sign-on policy",
        "system.push.send_factor_verify_push" => "A push was sent to a user for verification",
        "app.oauth2.as.token.grant.access_token" => "OAuth2 access token is granted",
        _ => "Okta event",
    }
}

/// Browser and OS of a user agent, roughly as Okta classifies them.
fn ua_parts(ua: &str) -> (&'static str, &'static str) {
    let browser = if ua.contains("Edg/") {
        "EDGE_CHROMIUM"
    } else if ua.contains("Chrome/") {
        "CHROME"
    } else if ua.contains("Firefox/") {
        "FIREFOX"
    } else if ua.contains("Safari/") {
        "SAFARI"
    } else {
        "UNKNOWN"
    };
    let os = if ua.contains("Windows NT 10") {
        "Windows 10"
    } else if ua.contains("Mac OS X") {
        "Mac OS X"
    } else if ua.contains("Linux") {
        "Linux"
    } else if ua.contains("iPhone") {
        "iOS"
    } else {
        "Unknown"
    };
    (browser, os)
}

impl OktaWriter {
    pub(crate) fn new(org: &Org) -> OktaWriter {
        OktaWriter {
            log: Rotating::new(
                "logs/okta",
                Naming::Daily {
                    stem: "okta-system-log",
                    ext: "ndjson",
                },
                Style::Plain,
            ),
            names: org
                .people
                .iter()
                .map(|p| (p.okta_id.clone(), p.display.clone()))
                .collect(),
        }
    }

    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        o: &Okta,
    ) -> Result<(), GenError> {
        line.clear();
        line.push_str("{\"uuid\":\"");
        line.push_str(&uuid(&mut ctx.rng));
        line.push_str("\",\"published\":\"");
        rfc3339_ms(line, t);
        line.push_str("\",\"eventType\":");
        json_str(line, o.event_type);
        let failed = o.outcome != "SUCCESS";
        let severity = if o.event_type == "user.account.lock" {
            "WARN"
        } else {
            "INFO"
        };
        let _ = write!(
            line,
            ",\"version\":\"0\",\"severity\":\"{severity}\",\"displayMessage\":"
        );
        json_str(line, display_message(o.event_type));
        line.push_str(",\"actor\":{\"id\":");
        json_str(
            line,
            if o.user_id.is_empty() {
                "unknown"
            } else {
                &o.user_id
            },
        );
        line.push_str(",\"type\":\"User\",\"alternateId\":");
        json_str(line, &o.user);
        line.push_str(",\"displayName\":");
        json_str(
            line,
            self.names.get(&o.user_id).map_or("unknown", String::as_str),
        );
        let (browser, os) = ua_parts(&o.user_agent);
        let _ = write!(line, "}},\"client\":{{\"userAgent\":{{\"rawUserAgent\":");
        json_str(line, &o.user_agent);
        let _ = write!(
            line,
            ",\"os\":\"{os}\",\"browser\":\"{browser}\"}},\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"{}\",\"geographicalContext\":{{\"city\":",
            o.ip
        );
        json_str(line, o.geo.1);
        line.push_str(",\"state\":null,\"country\":");
        json_str(line, o.geo.0);
        line.push_str(",\"postalCode\":null}},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,\"credentialProvider\":null,\"credentialType\":");
        match (o.event_type, o.mfa) {
            ("user.authentication.auth_via_mfa", _) => line.push_str("\"OTP\""),
            (_, Some(_)) => line.push_str("\"PASSWORD\""),
            _ => line.push_str("null"),
        }
        let _ = write!(
            line,
            ",\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":\""
        );
        if failed {
            line.push_str("unknown");
        } else {
            line.push_str("102");
            base62(&mut ctx.rng, 22, line);
        }
        line.push_str("\"},\"outcome\":{\"result\":");
        json_str(line, o.outcome);
        line.push_str(",\"reason\":");
        match o.reason {
            Some(r) => json_str(line, r),
            None => line.push_str("null"),
        }
        line.push_str("},\"target\":[],\"transaction\":{\"type\":\"WEB\",\"id\":\"");
        let mut tx = String::with_capacity(27);
        base62(&mut ctx.rng, 27, &mut tx);
        line.push_str(&tx);
        line.push_str("\",\"detail\":{}},\"debugContext\":{\"debugData\":{\"requestId\":\"");
        line.push_str(&tx);
        line.push_str("\",\"requestUri\":\"/api/v1/authn\",\"url\":\"/api/v1/authn?\",\"threatSuspected\":\"false\"");
        if o.mfa == Some(true) {
            line.push_str(",\"factor\":\"OKTA_VERIFY_PUSH\"");
        }
        let _ = write!(
            line,
            "}}}},\"securityContext\":{{\"asNumber\":{},\"asOrg\":",
            o.asn.0
        );
        json_str(line, o.asn.1);
        let _ = writeln!(
            line,
            ",\"isp\":null,\"domain\":null,\"isProxy\":false}},\"request\":{{\"ipChain\":[{{\"ip\":\"{}\",\"version\":\"V4\",\"source\":null}}]}}}}",
            o.ip
        );
        self.log.write(ctx, t, line.as_bytes(), 1)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.log.close(ctx)
    }
}
