//! Raw field names that the built-in formats emit often. Registering them
//! makes decoding them allocation-free; names not listed still work as
//! dynamic names. Order does not matter; duplicates are ignored.

/// Zeek log columns (conn, dns, http, ssl, x509, files, notice, intel, weird,
/// smtp, ssh, kerberos, dce_rpc, smb) in their dotted TSV form.
pub(crate) const ZEEK: &[&str] = &[
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
    "tunnel_parents", "ip_proto", "orig_l2_addr", "resp_l2_addr", "vlan", "inner_vlan",
    "community_id", "failed_service", "_path", "_write_ts", "_stream", "_system_name",
    // dns
    "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode",
    "rcode_name", "AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected",
    // http
    "trans_depth", "method", "host", "uri", "referrer", "version", "user_agent", "origin",
    "request_body_len", "response_body_len", "status_code", "status_msg", "info_code",
    "info_msg", "tags", "username", "password", "proxied", "orig_fuids", "orig_filenames",
    "orig_mime_types", "resp_fuids", "resp_filenames", "resp_mime_types",
    // ssl
    "cipher", "curve", "server_name", "resumed", "last_alert", "next_protocol", "established",
    "ssl_history", "cert_chain_fps", "client_cert_chain_fps", "subject", "issuer",
    "client_subject", "client_issuer", "sni_matches_cert", "validation_status", "ja3", "ja3s",
    "ja4", "ja4s",
    // files
    "fuid", "tx_hosts", "rx_hosts", "conn_uids", "source", "depth", "analyzers", "mime_type",
    "filename", "is_orig", "seen_bytes", "total_bytes", "overflow_bytes", "timedout",
    "parent_fuid", "md5", "sha1", "sha256", "extracted", "extracted_cutoff", "extracted_size",
    "id.orig_h", "local_orig",
    // notice / intel / weird
    "file_mime_type", "file_desc", "note", "msg", "sub", "src", "dst", "p", "n", "peer_descr",
    "actions", "email_dest", "suppress_for", "remote_location.country_code",
    "remote_location.region", "remote_location.city", "remote_location.latitude",
    "remote_location.longitude", "seen.indicator", "seen.indicator_type", "seen.where",
    "seen.node", "matched", "sources", "fuid", "name", "addl", "notice", "peer",
    // smtp
    "helo", "mailfrom", "rcptto", "date", "from", "to", "cc", "reply_to", "msg_id",
    "in_reply_to", "x_originating_ip", "first_received", "second_received", "last_reply",
    "path", "tls", "fuids", "is_webmail",
    // ssh
    "auth_success", "auth_attempts", "direction", "client", "server", "cipher_alg", "mac_alg",
    "compression_alg", "kex_alg", "host_key_alg", "host_key",
    // kerberos / dce_rpc / smb
    "request_type", "till", "forwardable", "renewable", "client_cert_subject",
    "server_cert_subject", "named_pipe", "endpoint", "operation", "action", "share_type",
    "native_file_system", "size", "times.modified", "times.accessed", "times.created",
    "times.changed",
    // x509
    "certificate.version", "certificate.serial", "certificate.subject", "certificate.issuer",
    "certificate.not_valid_before", "certificate.not_valid_after", "certificate.key_alg",
    "certificate.sig_alg", "certificate.key_type", "certificate.key_length",
    "certificate.exponent", "san.dns", "san.uri", "san.email", "san.ip", "basic_constraints.ca",
    "fingerprint",
    // `_`-separated exports (Zeek scope_sep, OTRF APT29) and their extra keys
    "id_orig_h", "id_orig_p", "id_resp_h", "id_resp_p", "seen_indicator",
    "seen_indicator_type", "certificate_subject", "certificate_issuer",
    "certificate_version", "certificate_serial", "certificate_not_valid_before",
    "certificate_not_valid_after", "certificate_key_alg", "certificate_sig_alg",
    "certificate_key_type", "certificate_key_length", "certificate_exponent",
    "basic_constraints_ca", "times_modified", "times_accessed", "times_created",
    "times_changed", "@stream", "@system", "@proc",
    // more columns seen in real logs (files, kerberos, dce_rpc, pe, dpd, http)
    "missing_bytes", "success", "error_msg", "failure_reason", "analyzer", "cert_chain_fuids",
    "client_cert_chain_fuids", "client_header_names", "server_header_names",
    "resp_certificate_sha1", "opcode", "opcode_name", "ip_proto", "uri_sha256", "id",
    "machine", "compile_ts", "os", "subsystem", "is_exe", "is_64bit", "section_names",
];

/// Suricata EVE JSON keys, flattened with `.`.
pub(crate) const SURICATA: &[&str] = &[
    "timestamp", "flow_id", "in_iface", "event_type", "src_ip", "src_port", "dest_ip",
    "dest_port", "proto", "app_proto", "community_id", "tx_id", "pcap_cnt",
    "flow.pkts_toserver", "flow.pkts_toclient", "flow.bytes_toserver", "flow.bytes_toclient",
    "flow.start", "flow.end", "flow.age", "flow.state", "flow.reason", "flow.alerted",
    "alert.action", "alert.gid", "alert.signature_id", "alert.rev", "alert.signature",
    "alert.category", "alert.severity", "dns.type", "dns.id", "dns.rrname", "dns.rrtype",
    "dns.rcode", "dns.rdata", "dns.ttl", "dns.tx_id", "dns.flags", "dns.qr", "dns.rd", "dns.ra",
    "http.hostname", "http.url", "http.http_user_agent", "http.http_content_type",
    "http.http_method", "http.protocol", "http.status", "http.length", "http.http_refer",
    "tls.subject", "tls.issuerdn", "tls.serial", "tls.fingerprint", "tls.sni", "tls.version",
    "tls.notbefore", "tls.notafter", "tls.ja3.hash", "tls.ja3.string", "tls.ja3s.hash",
    "tls.ja3s.string", "tls.ja4", "fileinfo.filename", "fileinfo.state", "fileinfo.stored",
    "fileinfo.size", "fileinfo.tx_id", "fileinfo.md5", "fileinfo.sha1", "fileinfo.sha256",
    "fileinfo.magic", "fileinfo.gaps",
    // EVE DNS v2/v3 layouts, netflow, anomaly, ssh, smtp, sensor name
    "host", "dns.version", "dns.opcode", "dns.answers.rrname", "dns.answers.rrtype",
    "dns.answers.ttl", "dns.answers.rdata", "dns.queries.rrname", "dns.queries.rrtype",
    "dns.grouped.A", "dns.grouped.AAAA", "dns.grouped.CNAME", "netflow.pkts", "netflow.bytes",
    "netflow.start", "netflow.end", "netflow.age", "anomaly.type", "anomaly.event",
    "anomaly.layer", "ssh.client.proto_version", "ssh.client.software_version",
    "ssh.server.proto_version", "ssh.server.software_version", "smtp.helo", "smtp.mail_from",
    "smtp.rcpt_to", "tcp.tcp_flags", "tcp.syn", "tcp.fin", "tcp.rst", "tcp.state",
];

/// AWS CloudTrail record keys, flattened with `.`.
pub(crate) const CLOUDTRAIL: &[&str] = &[
    "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "requestID", "eventID", "eventType", "eventCategory", "readOnly",
    "managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "apiVersion",
    "errorCode", "errorMessage", "userIdentity.type", "userIdentity.principalId",
    "userIdentity.arn", "userIdentity.accountId", "userIdentity.accessKeyId",
    "userIdentity.userName", "userIdentity.invokedBy", "userIdentity.identityProvider",
    "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.attributes.creationDate",
    "userIdentity.sessionContext.sessionIssuer.type",
    "userIdentity.sessionContext.sessionIssuer.principalId",
    "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.sessionIssuer.accountId",
    "userIdentity.sessionContext.sessionIssuer.userName",
    "requestParameters.bucketName", "requestParameters.key", "requestParameters.Host",
    "additionalEventData.bytesTransferredOut", "additionalEventData.bytesTransferredIn",
    "additionalEventData.MFAUsed", "additionalEventData.LoginTo",
    "additionalEventData.MobileVersion", "additionalEventData.x-amz-id-2",
    "additionalEventData.SignatureVersion", "additionalEventData.CipherSuite",
    "additionalEventData.AuthenticationMethod", "responseElements.ConsoleLogin",
    "tlsDetails.tlsVersion", "tlsDetails.cipherSuite", "tlsDetails.clientProvidedHostHeader",
    "resources.ARN", "resources.accountId", "resources.type", "@timestamp", "@version",
    "sessionCredentialFromConsole", "requestParameters.roleArn",
    "requestParameters.roleSessionName", "requestParameters.userName",
    "requestParameters.policyArn", "requestParameters.prefix",
    "responseElements.assumedRoleUser.arn", "responseElements.credentials.accessKeyId",
];

/// AWS VPC Flow Log field names (v2–v5), hyphenated as in the log format.
pub(crate) const VPCFLOW: &[&str] = &[
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
    "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region",
    "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path", "ecs-cluster-arn",
    "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name",
    "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason",
];
