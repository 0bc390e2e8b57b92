//! STIX 2.1 import: the patterning language (STIX 2.1 part 9) parsed into a
//! syntax tree ([`parse_pattern`]), compiled into groups of observables
//! when exact, CIDR and domain-suffix matching can evaluate it
//! ([`compile`], [`compile_pattern`]), and indicators read from bundles
//! ([`load`]).
//!
//! What is evaluated: `=`, `IN (…)` and (on addresses) `ISSUBSET` over
//! `ipv4-addr:value`, `ipv6-addr:value`, `network-traffic:dst_ref.value` /
//! `src_ref.value`, `domain-name:value`, `url:value`, `email-addr:value`,
//! `email-message:from_ref.value` / `sender_ref.value`, `file:name`,
//! `file:hashes.<MD5|SHA-1|SHA-256|SHA-512>`, `x509-certificate:hashes.…`
//! and the HTTP `User-Agent` request header; AND and OR inside one
//! observation, OR between observations. Everything else (AND and
//! FOLLOWEDBY between observations, qualifiers, `NOT`, `!=`, ordering,
//! `LIKE`, `MATCHES`, `ISSUPERSET`, `EXISTS`, list paths, other objects and
//! properties) is refused with a reason, which [`load`] reports as a
//! problem.
//!
//! ```
//! use phiwatch_intel::stix::compile_pattern;
//! use phiwatch_intel::Observable;
//! let groups = compile_pattern(
//!     "[ipv4-addr:value ISSUBSET '198.51.100.0/24' AND file:hashes.'SHA-256' = \
//!      'EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C']",
//! )
//! .unwrap();
//! assert_eq!(groups.len(), 1);
//! assert_eq!(groups[0].len(), 2);
//! assert!(matches!(groups[0][0], Observable::Ip(n) if n.prefix == 24));
//! ```

mod bundle;
mod compile;
mod parse;
mod pattern;

pub use bundle::load;
pub use compile::{compile, compile_pattern, Groups, PatternError, MAX_GROUPS};
pub use parse::{parse_pattern, ParseError, MAX_DEPTH};
pub use pattern::{
    CompExpr, Comparison, Constant, ObjectPath, ObsExpr, Op, PathStep, Pattern, Qualifier,
};

#[cfg(test)]
mod tests;
