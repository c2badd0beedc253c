//! `--wait`: poll the testee's port until it accepts a TCP connection, so CI scripts need
//! no `sleep 3` between starting a server and testing it.

use std::time::{Duration, Instant};

/// Pause between connection attempts: short, since a server usually comes up in well
/// under a second, and a refused connect on loopback costs nothing.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// The testee never accepted a connection within the wait.
#[derive(Debug, thiserror::Error)]
#[error("{addr} did not accept a connection within {waited:?} (last error: {last})")]
pub struct NotReady {
    /// The address polled.
    pub addr: String,
    /// How long wsspec waited.
    pub waited: Duration,
    /// The last connect error.
    pub last: String,
}

/// Connect to `addr` until it succeeds or `wait` has passed.
pub async fn wait_for_port(addr: &str, wait: Duration) -> Result<(), NotReady> {
    let started = Instant::now();
    loop {
        let left = wait.saturating_sub(started.elapsed());
        let attempt = tokio::time::timeout(
            left.max(Duration::from_millis(1)),
            tokio::net::TcpStream::connect(addr),
        )
        .await;
        let last = match attempt {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "connection timed out".to_string(),
        };
        if started.elapsed() + RETRY_EVERY > wait {
            return Err(NotReady {
                addr: addr.to_string(),
                waited: wait,
                last,
            });
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// Parse a duration such as `30s`, `500ms`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 30s, 500ms, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit in {text:?} (use ms, s or m)")),
    };
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text:?} is out of range (at most a day)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[tokio::test]
    async fn waits_for_a_listener_that_comes_up_late() {
        // Reserve a free port, release it, and bind it again only after a while.
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let late = {
            let addr = addr.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let l = tokio::net::TcpListener::bind(&addr).await.unwrap();
                let _ = l.accept().await;
            })
        };
        let started = Instant::now();
        wait_for_port(&addr, Duration::from_secs(10)).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250));
        late.abort();
    }

    #[tokio::test]
    async fn gives_up_after_the_wait() {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let started = Instant::now();
        let err = wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_millis(400))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(err.to_string().contains("did not accept"), "{err}");
    }
}
