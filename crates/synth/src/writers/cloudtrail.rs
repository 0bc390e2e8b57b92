//! AWS CloudTrail: one `{"Records":[…]}` file an hour, as CloudTrail
//! delivers them to S3 (uncompressed here), with S3 data events.

use std::fmt::Write as _;

use phiwatch_event::Timestamp;

use super::{base62, json_str, rfc3339_s, uuid, Ctx, Naming, Rotating, Style};
use crate::model::{Aws, Org};
use crate::GenError;

pub(crate) struct CloudTrail {
    log: Rotating,
    account: String,
}

fn is_data_event(a: &Aws) -> bool {
    a.source == "s3.amazonaws.com"
        && matches!(
            a.name,
            "GetObject"
                | "PutObject"
                | "DeleteObject"
                | "HeadObject"
                | "CopyObject"
                | "ListObjects"
                | "ListObjectsV2"
                | "UploadPart"
                | "CreateMultipartUpload"
                | "CompleteMultipartUpload"
        )
}

fn read_only(name: &str) -> bool {
    ["Get", "List", "Describe", "Head", "Lookup"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// A stable access-key-like id from a name (`AKIA…` / `ASIA…` / `AIDA…`).
fn key_id(prefix: &str, name: &str, out: &mut String) {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    out.push_str(prefix);
    for _ in 0..16 {
        out.push(char::from(A[(h & 31) as usize]));
        h = h.rotate_right(5) ^ 0x9e37_79b9;
    }
}

impl CloudTrail {
    pub(crate) fn new(org: &Org) -> CloudTrail {
        CloudTrail {
            log: Rotating::new(
                "logs/cloudtrail",
                Naming::CloudTrailHourly {
                    account: org.aws_account.clone(),
                },
                Style::Records,
            ),
            account: org.aws_account.clone(),
        }
    }

    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        a: &Aws,
    ) -> Result<(), GenError> {
        let acct = &self.account;
        line.clear();
        line.push_str("{\"eventVersion\":\"1.08\",\"userIdentity\":{");
        if a.principal_type == "AssumedRole" {
            let (role, session) = a
                .principal
                .split_once('/')
                .unwrap_or((a.principal.as_str(), a.principal.as_str()));
            let mut pid = String::new();
            key_id("AROA", role, &mut pid);
            let mut akid = String::new();
            key_id("ASIA", &a.principal, &mut akid);
            let _ = write!(
                line,
                "\"type\":\"AssumedRole\",\"principalId\":\"{pid}:{session}\",\"arn\":\"arn:aws:sts::{acct}:assumed-role/{role}/{session}\",\"accountId\":\"{acct}\",\"accessKeyId\":\"{akid}\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"principalId\":\"{pid}\",\"arn\":\"arn:aws:iam::{acct}:role/{role}\",\"accountId\":\"{acct}\",\"userName\":\"{role}\"}},\"attributes\":{{\"creationDate\":\""
            );
            rfc3339_s(line, t);
            let _ = write!(
                line,
                "\",\"mfaAuthenticated\":\"{}\"}}}}}}",
                a.mfa == Some(true)
            );
        } else {
            let mut pid = String::new();
            key_id("AIDA", &a.principal, &mut pid);
            let mut akid = String::new();
            key_id("AKIA", &a.principal, &mut akid);
            let _ = write!(
                line,
                "\"type\":\"IAMUser\",\"principalId\":\"{pid}\",\"arn\":\"arn:aws:iam::{acct}:user/{}\",\"accountId\":\"{acct}\",\"accessKeyId\":\"{akid}\",\"userName\":",
                a.principal
            );
            json_str(line, &a.principal);
            line.push('}');
        }
        line.push_str(",\"eventTime\":\"");
        rfc3339_s(line, t);
        let _ = write!(
            line,
            "\",\"eventSource\":\"{}\",\"eventName\":\"{}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"{}\",\"userAgent\":",
            a.source, a.name, a.ip
        );
        let console = a.name == "ConsoleLogin";
        json_str(
            line,
            if console {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
            } else {
                "[aws-cli/2.15.40 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 command/s3.cp]"
            },
        );
        if let Some(code) = a.error {
            line.push_str(",\"errorCode\":");
            json_str(line, code);
            line.push_str(",\"errorMessage\":");
            json_str(
                line,
                match code {
                    "AccessDenied" => "Access Denied",
                    "NoSuchKey" => "The specified key does not exist.",
                    _ if console => "Failed authentication",
                    _ => "The request failed",
                },
            );
        }
        let data = is_data_event(a);
        line.push_str(",\"requestParameters\":");
        match &a.object {
            Some((bucket, key)) => {
                line.push_str("{\"bucketName\":");
                json_str(line, bucket);
                line.push_str(",\"Host\":");
                json_str(line, &format!("{bucket}.s3.us-east-1.amazonaws.com"));
                if !key.is_empty() {
                    line.push_str(",\"key\":");
                    json_str(line, key);
                }
                line.push('}');
            }
            None => line.push_str("null"),
        }
        line.push_str(",\"responseElements\":");
        if console {
            let _ = write!(
                line,
                "{{\"ConsoleLogin\":\"{}\"}}",
                if a.error.is_some() {
                    "Failure"
                } else {
                    "Success"
                }
            );
        } else {
            line.push_str("null");
        }
        if console {
            let _ = write!(
                line,
                ",\"additionalEventData\":{{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\",\"MFAUsed\":\"{}\"}}",
                if a.mfa == Some(true) { "Yes" } else { "No" }
            );
        } else if data {
            let (out, inn) = if a.name == "PutObject" || a.name == "UploadPart" {
                (0, a.bytes)
            } else {
                (a.bytes, 0)
            };
            let _ = write!(
                line,
                ",\"additionalEventData\":{{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":{inn},\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\""
            );
            base62(&mut ctx.rng, 40, line);
            let _ = write!(line, "\",\"bytesTransferredOut\":{out}}}");
        }
        line.push_str(",\"requestID\":\"");
        let mut rid = String::new();
        base62(&mut ctx.rng, 16, &mut rid);
        line.push_str(&rid.to_ascii_uppercase());
        line.push_str("\",\"eventID\":\"");
        line.push_str(&uuid(&mut ctx.rng));
        let _ = write!(line, "\",\"readOnly\":{}", read_only(a.name));
        if let Some((bucket, key)) = &a.object {
            line.push_str(",\"resources\":[");
            if !key.is_empty() {
                line.push_str("{\"type\":\"AWS::S3::Object\",\"ARN\":");
                json_str(line, &format!("arn:aws:s3:::{bucket}/{key}"));
                line.push_str("},");
            }
            let _ = write!(
                line,
                "{{\"accountId\":\"{acct}\",\"type\":\"AWS::S3::Bucket\",\"ARN\":"
            );
            json_str(line, &format!("arn:aws:s3:::{bucket}"));
            line.push_str("}]");
        }
        let _ = write!(
            line,
            ",\"eventType\":\"{}\",\"managementEvent\":{},\"recipientAccountId\":\"{acct}\",\"eventCategory\":\"{}\"",
            if console { "AwsConsoleSignIn" } else { "AwsApiCall" },
            !data,
            if data { "Data" } else { "Management" }
        );
        if !console {
            line.push_str(",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":");
            match &a.object {
                Some((bucket, _)) => {
                    json_str(line, &format!("{bucket}.s3.us-east-1.amazonaws.com"))
                }
                None => json_str(line, a.source),
            }
            line.push('}');
        }
        line.push('}');
        self.log.write(ctx, t, line.as_bytes(), 1)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.log.close(ctx)
    }
}
