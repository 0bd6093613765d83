//! A panic is logged as one JSON error event, like every other line the function writes.
//!
//! Rust's default hook prints `thread 'main' panicked at ...` as plain text on stderr, outside any
//! span, and with `RUST_BACKTRACE=1` dozens of backtrace lines more. The hook installed here logs
//! the panic through tracing instead, on the panicking thread: inside an invocation, lambda_runtime's
//! span is current there, so the line carries the invocation's `requestId`. The backtrace, when
//! `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for one, is a field of that same line.

use std::{
    backtrace::{Backtrace, BacktraceStatus},
    panic::{Location, PanicHookInfo},
};

/// Replaces the default panic hook. Called by [`crate::telemetry::init`].
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        // capture() reads RUST_BACKTRACE itself and is cheap when it is off.
        log(
            &payload_text(info.payload_as_str()),
            info.location(),
            &Backtrace::capture(),
        );
    }));
}

/// The panic's message; a payload that is not a string (`panic_any`) is named as such.
pub fn payload_text(payload: Option<&str>) -> String {
    payload.map_or_else(
        || "a panic with a payload that is not text".to_owned(),
        str::to_owned,
    )
}

/// Logs one panic as a single ERROR event.
pub fn log(message: &str, location: Option<&Location<'_>>, backtrace: &Backtrace) {
    let location = location.map(ToString::to_string).unwrap_or_default();
    if backtrace.status() == BacktraceStatus::Captured {
        tracing::error!(
            panic = message,
            location,
            backtrace = %backtrace,
            "panicked: {message}"
        );
    } else {
        tracing::error!(panic = message, location, "panicked: {message}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::telemetry::json_lines;

    /// Collects what the JSON layer writes.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> Vec<Value> {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry().with(json_lines(move || writer.clone()));
        tracing::subscriber::with_default(subscriber, f);
        let bytes = lines.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn a_panic_in_an_invocation_is_one_json_line_with_its_request_id() {
        let location = Location::caller();
        let lines = logged(|| {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-1");
            let _entered = span.enter();
            log(
                "index out of bounds",
                Some(location),
                &Backtrace::disabled(),
            );
        });
        let [line] = lines.as_slice() else {
            panic!("{lines:?}")
        };
        assert_eq!(line["level"], "ERROR");
        assert_eq!(line["message"], "panicked: index out of bounds");
        assert_eq!(line["panic"], "index out of bounds");
        assert_eq!(line["location"], location.to_string());
        assert_eq!(
            line["span"],
            json!({"name": "Lambda runtime invoke", "requestId": "req-1"})
        );
        assert!(line.get("backtrace").is_none());
    }

    #[test]
    fn a_captured_backtrace_is_a_field_of_the_same_line() {
        let lines = logged(|| log("boom", None, &Backtrace::force_capture()));
        let [line] = lines.as_slice() else {
            panic!("{lines:?}")
        };
        assert_eq!(
            (line["panic"].as_str(), line["location"].as_str()),
            (Some("boom"), Some(""))
        );
        let backtrace = line["backtrace"].as_str().unwrap();
        assert!(backtrace.lines().count() > 1, "{backtrace}");
    }

    #[test]
    fn a_payload_that_is_not_text_is_named() {
        assert_eq!(payload_text(Some("boom")), "boom");
        assert_eq!(
            payload_text(None),
            "a panic with a payload that is not text"
        );
    }
}
