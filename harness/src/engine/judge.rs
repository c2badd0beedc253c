//! The verdict ladder: Autobahn's rules for `behavior` and `behaviorClose`, as a pure function.

use wsspec_cases::{Case, CloseVerdict, Event, Verdict, VerdictRule};

/// What the engine observed on one connection, as far as the verdict depends on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The opening handshake completed.
    pub opened: bool,
    /// Events in arrival order.
    pub received: Vec<Event>,
    /// The harness sent the first close frame.
    pub closed_by_me: bool,
    /// The harness dropped the TCP connection.
    pub dropped_by_me: bool,
    /// The closing handshake completed before TCP closed.
    pub was_clean: bool,
    /// The close code the peer sent.
    pub remote_close_code: Option<u16>,
    /// For performance cases: whether every echo arrived correct and in time, and the text.
    pub performance: Option<(bool, String)>,
    /// SHOULD-level deviations of the opening handshake; they cap `behavior` at NON-STRICT.
    pub soft: Vec<String>,
    /// The harness was the server (a server is meant to drop TCP itself).
    pub is_server: bool,
}

/// The two verdicts with their explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// `behavior`.
    pub behavior: Verdict,
    /// `result`.
    pub result: String,
    /// `behaviorClose`.
    pub behavior_close: CloseVerdict,
    /// `resultClose`.
    pub result_close: String,
}

/// Text of a never-opened connection's close verdict.
pub const NEVER_OPENED: &str = "The WebSocket opening handshake was never completed!";

/// Judge a case from what was observed (the harness is the client, testing a server).
pub fn judge(case: &Case, seen: &Observed) -> Judgement {
    if !seen.opened {
        return Judgement {
            behavior: Verdict::Failed,
            result: NEVER_OPENED.to_string(),
            behavior_close: CloseVerdict::Failed,
            result_close: NEVER_OPENED.to_string(),
        };
    }

    let (mut behavior, mut result) = match &seen.performance {
        Some((ok, text)) => (
            if *ok { Verdict::Ok } else { Verdict::Failed },
            text.clone(),
        ),
        None => match case
            .expected
            .alternatives
            .iter()
            .find(|(_, events)| *events == seen.received)
        {
            Some((verdict, _)) => (
                *verdict,
                "Actual events match at least one expected.".to_string(),
            ),
            None => (
                Verdict::Failed,
                "Actual events differ from any expected.".to_string(),
            ),
        },
    };

    let expected = &case.expected_close;
    let either_closes = case.rule == VerdictRule::EitherEndpointCloses;
    let (mut behavior_close, result_close) =
        if expected.closed_by_me != seen.closed_by_me && !either_closes {
            (
                CloseVerdict::Failed,
                "The connection was failed by the wrong endpoint".to_string(),
            )
        } else if expected.require_clean && !seen.was_clean {
            (
                CloseVerdict::Unclean,
                "The spec requires the connection to be failed cleanly here".to_string(),
            )
        } else if seen
            .remote_close_code
            .is_some_and(|c| !expected.codes.contains(&c))
        {
            let codes: Vec<String> = expected.codes.iter().map(u16::to_string).collect();
            (
                CloseVerdict::WrongCode,
                format!(
                    "The close code should have been {} or empty",
                    codes.join(",")
                ),
            )
        } else if seen.dropped_by_me && !seen.is_server {
            (
                CloseVerdict::FailedByClient,
                "It is preferred that the server close the TCP connection".to_string(),
            )
        } else {
            (
                CloseVerdict::Ok,
                "Connection was properly closed".to_string(),
            )
        };

    if behavior == Verdict::Ok && !seen.soft.is_empty() {
        behavior = Verdict::NonStrict;
        result = format!("{} But: {}", result, seen.soft.join("; "));
    }

    // The UTF-8 cases: if the harness had to close, the peer never noticed the bad octets.
    if expected.wrong_endpoint_is_fatal && expected.closed_by_me != seen.closed_by_me {
        behavior = Verdict::Failed;
        result = format!("{result_close}: the peer never failed the connection itself.");
    }

    match case.rule {
        VerdictRule::Standard | VerdictRule::EitherEndpointCloses => {}
        VerdictRule::WrongCodeFailsBehavior => {
            if behavior_close == CloseVerdict::WrongCode {
                behavior = Verdict::Failed;
                result = result_close.clone();
            }
        }
        VerdictRule::Informational => {
            behavior = Verdict::Informational;
            behavior_close = CloseVerdict::Informational;
            result = "Actual events are undefined by the spec.".to_string();
        }
    }

    Judgement {
        behavior,
        result,
        behavior_close,
        result_close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsspec_cases::{Expected, ExpectedClose};

    fn case(expected: Expected, close: ExpectedClose, rule: VerdictRule) -> Case {
        let category = wsspec_cases::Category {
            number: 0,
            title: "Test",
        };
        let mut c = Case::new("0.0", category, "d", "e");
        c.expected = expected;
        c.expected_close = close;
        c.rule = rule;
        c
    }

    fn clean_close(received: Vec<Event>, code: u16) -> Observed {
        Observed {
            opened: true,
            received,
            closed_by_me: true,
            dropped_by_me: false,
            was_clean: true,
            remote_close_code: Some(code),
            performance: None,
            soft: Vec::new(),
            is_server: false,
        }
    }

    #[test]
    fn matching_events_and_clean_close_are_ok() {
        let c = case(
            Expected::ok(vec![Event::text("hi")]),
            ExpectedClose::normal(),
            VerdictRule::Standard,
        );
        let j = judge(&c, &clean_close(vec![Event::text("hi")], 1000));
        assert_eq!(
            (j.behavior, j.behavior_close),
            (Verdict::Ok, CloseVerdict::Ok)
        );
        let j = judge(&c, &clean_close(vec![Event::text("ho")], 1000));
        assert_eq!(j.behavior, Verdict::Failed);
    }

    #[test]
    fn non_strict_alternative() {
        let c = case(
            Expected::ok(vec![Event::text("hi")]).or(Verdict::NonStrict, vec![]),
            ExpectedClose::peer_fails(&[1002]),
            VerdictRule::Standard,
        );
        let mut seen = clean_close(vec![], 1002);
        seen.closed_by_me = false;
        assert_eq!(judge(&c, &seen).behavior, Verdict::NonStrict);
    }

    #[test]
    fn close_ladder_order() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::Standard,
        );
        let mut seen = clean_close(vec![], 1000);
        seen.closed_by_me = false;
        assert_eq!(judge(&c, &seen).behavior_close, CloseVerdict::Failed);
        let mut seen = clean_close(vec![], 1000);
        seen.was_clean = false;
        assert_eq!(judge(&c, &seen).behavior_close, CloseVerdict::Unclean);
        let seen = clean_close(vec![], 1002);
        let j = judge(&c, &seen);
        assert_eq!(j.behavior_close, CloseVerdict::WrongCode);
        assert_eq!(
            j.result_close,
            "The close code should have been 1000 or empty"
        );
        let mut seen = clean_close(vec![], 1000);
        seen.dropped_by_me = true;
        assert_eq!(
            judge(&c, &seen).behavior_close,
            CloseVerdict::FailedByClient
        );
    }

    #[test]
    fn a_server_dropping_tcp_is_not_failed_by_client() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::Standard,
        );
        let mut seen = clean_close(vec![], 1000);
        seen.dropped_by_me = true;
        seen.is_server = true;
        assert_eq!(judge(&c, &seen).behavior_close, CloseVerdict::Ok);
    }

    #[test]
    fn rules_adjust_the_ladder() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::WrongCodeFailsBehavior,
        );
        let j = judge(&c, &clean_close(vec![], 1002));
        assert_eq!(
            (j.behavior, j.behavior_close),
            (Verdict::Failed, CloseVerdict::WrongCode)
        );
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::Informational,
        );
        let j = judge(&c, &clean_close(vec![Event::text("x")], 1002));
        assert_eq!(
            (j.behavior, j.behavior_close),
            (Verdict::Informational, CloseVerdict::Informational)
        );
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::peer_fails(&[1007]).wrong_endpoint_fatal(),
            VerdictRule::Standard,
        );
        let j = judge(&c, &clean_close(vec![], 1000));
        assert_eq!(
            (j.behavior, j.behavior_close),
            (Verdict::Failed, CloseVerdict::Failed)
        );
    }

    #[test]
    fn handshake_deviations_cap_at_non_strict() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::Standard,
        );
        let mut seen = clean_close(vec![], 1000);
        seen.soft = vec!["waited for key3".into()];
        let j = judge(&c, &seen);
        assert_eq!(j.behavior, Verdict::NonStrict);
        assert!(j.result.contains("waited for key3"));
    }

    #[test]
    fn never_opened_fails_both() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            VerdictRule::Standard,
        );
        let j = judge(&c, &Observed::default());
        assert_eq!(
            (j.behavior, j.behavior_close),
            (Verdict::Failed, CloseVerdict::Failed)
        );
    }
}
