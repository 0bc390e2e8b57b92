//! Web and API access logs.
//!
//! **Text** (`access-log`): the NCSA `common` and `combined` formats of
//! Apache httpd and nginx,
//! `host ident authuser [dd/Mon/yyyy:HH:MM:SS ±zzzz] "request" status bytes ["referer" "user-agent"]`,
//! with an optional leading virtual host (`vhost_combined`) and the usual
//! nginx additions after the user agent: bare `$request_time` and
//! `$upstream_response_time`, a quoted `$http_x_forwarded_for`, and
//! `name=value` pairs (`rt=0.004 urt="0.003"`). Raw fields are named after
//! the nginx variables (`remote_addr`, `request`, `body_bytes_sent`, …).
//!
//! **JSON** (`access-json`): nginx `log_format … escape=json` logs with the
//! variable names as keys, Traefik access logs (`ClientHost`,
//! `RequestMethod`, `DownstreamStatus`, …), Caddy access logs (`request`
//! object, `status`, `size`, `duration`) and Envoy / Istio JSON access logs
//! (`method`, `path`, `response_code`, `downstream_remote_address`, …).
//! Other shapes are accepted with whatever of these keys they have, as long
//! as they carry a time.
//!
//! Both add the same normalized fields, and FHIR REST facts when the path is
//! a FHIR call (`phiwatch.resource.*`, `phiwatch.patient.ids`, the FHIR
//! interaction as `event.action`).

mod fields;
mod json;
mod text;

pub(crate) use json::{detect_json, AccessJsonDecoder};
pub(crate) use text::{detect_text, AccessLogDecoder};

#[cfg(test)]
mod tests {

    use super::json::detect_json;
    use super::text::parse_clf_time;
    use super::text::split_request;

    fn keys_probe(keys: &[&str]) -> bool {
        detect_json(&|k| keys.contains(&k))
    }

    #[test]
    fn json_probe() {
        // Zeek http.log and Suricata http events are not access logs.
        let zeek = [
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "trans_depth",
            "method",
            "host",
            "uri",
            "version",
            "user_agent",
            "request_body_len",
            "response_body_len",
            "status_code",
            "status_msg",
        ];
        assert!(!keys_probe(&zeek));
        let suricata = [
            "timestamp",
            "flow_id",
            "event_type",
            "src_ip",
            "src_port",
            "dest_ip",
            "dest_port",
            "proto",
            "http",
            "http.hostname",
            "http.url",
            "http.http_user_agent",
            "http.http_method",
            "http.protocol",
            "http.status",
            "http.length",
        ];
        assert!(!keys_probe(&suricata));
        assert!(keys_probe(&[
            "time_local",
            "remote_addr",
            "request",
            "status"
        ]));
        assert!(keys_probe(&[
            "ClientHost",
            "DownstreamStatus",
            "RequestMethod"
        ]));
        assert!(keys_probe(&[
            "ts",
            "request",
            "status",
            "resp_headers",
            "bytes_read"
        ]));
        assert!(keys_probe(&[
            "start_time",
            "method",
            "path",
            "response_code",
            "downstream_remote_address"
        ]));
    }

    #[test]
    fn clf_time() {
        let t = parse_clf_time(b"10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(t.to_rfc3339(), "2000-10-10T20:55:36.000000Z");
        assert!(parse_clf_time(b"10/Foo/2000:13:55:36 -0700").is_none());
        assert!(parse_clf_time(b"10/Oct/2000:13:55:36 -07").is_none());
    }

    #[test]
    fn requests() {
        assert_eq!(
            split_request("GET /a b HTTP/1.1"),
            (Some("GET"), Some("/a b"), Some("HTTP/1.1"))
        );
        assert_eq!(split_request("GET /"), (Some("GET"), Some("/"), None));
        assert_eq!(split_request("\\x16\\x03\\x01"), (None, None, None));
        assert_eq!(split_request("-"), (None, None, None));
    }
}
