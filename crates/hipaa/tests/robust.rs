//! Extreme and inconsistent facts: the determination is always made, never
//! panics, and dates saturate at the calendar's end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{d, facts};
use phiwatch_hipaa::{determine, Encryption, LawEnforcement, Role};

#[test]
fn extreme_counts_and_dates_do_not_panic() {
    let mut f = facts("9999-12-30", u64::MAX);
    f.by_state.insert("TX".to_string(), u64::MAX);
    f.by_state.insert("unknown".to_string(), u64::MAX);
    f.deceased = u64::MAX;
    f.without_contact = u64::MAX;
    f.deceased_without_contact = u64::MAX;
    f.encryption = Encryption::Unknown;
    f.law_enforcement = Some(LawEnforcement::Written {
        stated: d("0001-01-01"),
        until: d("9999-12-31"),
    });
    f.role = Role::BusinessAssociate {
        agent_of_ce: false,
        ce_notified: Some(d("9999-12-31")),
    };
    let det = determine(&f);
    assert_eq!(det.individual_deadline, Some(d("9999-12-31")), "saturates");
    assert_eq!(det.hhs.deadline, Some(d("9999-12-31")));
    assert!(det.media_states.contains(&"TX".to_string()));
    assert!(!det.problems.is_empty(), "the sums do not add up");
}

#[test]
fn every_encryption_and_role_combination_is_decided() {
    let roles = [
        Role::CoveredEntity,
        Role::BusinessAssociate {
            agent_of_ce: true,
            ce_notified: None,
        },
        Role::BusinessAssociate {
            agent_of_ce: false,
            ce_notified: None,
        },
        Role::BusinessAssociate {
            agent_of_ce: false,
            ce_notified: Some(d("2026-04-01")),
        },
    ];
    let mut presumed = 0;
    for enc in [
        Encryption::Unknown,
        Encryption::Secured,
        Encryption::Unsecured,
    ] {
        for role in &roles {
            for n in [0, 1, 499, 500, 501] {
                let mut f = facts("2026-03-02", n);
                f.encryption = enc;
                f.role = role.clone();
                let det = determine(&f);
                assert_eq!(
                    det.breach_presumed,
                    enc != Encryption::Secured,
                    "{enc:?} {role:?} {n}"
                );
                assert_eq!(det.hhs.required, det.breach_presumed && n > 0);
                assert_eq!(
                    det.business_associate.is_some(),
                    det.breach_presumed && *role != Role::CoveredEntity
                );
                assert!(det.problems.is_empty(), "{:?}", det.problems);
                presumed += usize::from(det.breach_presumed);
            }
        }
    }
    assert_eq!(presumed, 2 * 4 * 5);
}
