//! Where samples go and when they are written: into the [`Buffer`], out on stdout (Lambda writes
//! it to the function's log group) at most [`FLUSH_AFTER`] after the oldest of them arrived, when
//! the buffer is full, and at SHUTDOWN.
//!
//! The deadline is kept by a timer ([`Recorder::write_when_due`]), so an environment that serves
//! no more invocations still writes what it holds within a minute. On Lambda Managed Instances
//! the environment runs all the time, so the timer fires on time; on Lambda (default) the
//! environment is frozen between invocations, a timer that fell due while it was frozen fires as
//! it thaws, and SHUTDOWN writes the rest. Either way each sample is written in the document of
//! the minute it was measured in ([`crate::buffer`]).

use std::{
    io::Write,
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{
    sync::Notify,
    time::{Instant, sleep_until},
};

use crate::{buffer::Buffer, metric::Sample};

/// The longest a sample waits in the buffer while the extension runs.
pub const FLUSH_AFTER: Duration = Duration::from_secs(60);

/// The buffer, where its documents go, and when they are due.
pub struct Recorder {
    state: Mutex<State>,
    out: Mutex<Box<dyn Write + Send>>,
    /// Woken when the buffer stops being empty (a deadline to keep).
    scheduled: Notify,
}

struct State {
    buffer: Buffer,
    /// When what is buffered must be written ([`FLUSH_AFTER`] after its oldest sample arrived).
    due: Option<Instant>,
}

impl Recorder {
    pub fn new(function_name: &str, out: Box<dyn Write + Send>) -> Self {
        Self {
            state: Mutex::new(State {
                buffer: Buffer::new(function_name),
                due: None,
            }),
            out: Mutex::new(out),
            scheduled: Notify::new(),
        }
    }

    /// Buffers a batch's samples, writing at once what the buffer cannot hold.
    pub fn record(&self, samples: &[Sample]) {
        let documents = {
            let mut state = self.state();
            let documents = state.buffer.add(samples);
            if state.buffer.is_empty() {
                state.due = None;
            } else if state.due.is_none() {
                state.due = Some(Instant::now() + FLUSH_AFTER);
                self.scheduled.notify_one();
            }
            documents
        };
        self.write(&documents);
    }

    /// Writes whatever is buffered (at SHUTDOWN, and when it is due).
    pub fn flush(&self) {
        let documents = {
            let mut state = self.state();
            state.due = None;
            state.buffer.flush()
        };
        self.write(&documents);
    }

    /// Keeps the deadline: writes the buffer each time it falls due. Runs until the process ends.
    pub async fn write_when_due(&self) {
        loop {
            let due = self.state().due;
            match due {
                Some(due) if due <= Instant::now() => self.flush(),
                Some(due) => sleep_until(due).await,
                None => self.scheduled.notified().await,
            }
        }
    }

    /// The state, even after a panic elsewhere while it was held: it is plain data, always whole.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, documents: &[String]) {
        if documents.is_empty() {
            return;
        }
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        for document in documents {
            // Nothing else to report a broken stdout to: the metrics are lost either way.
            let _ = writeln!(out, "{document}");
        }
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::{metric::Metric, test_support::Out};

    const T0: i64 = 1_795_773_600_000; // 2026-11-27T10:00:00Z

    fn duration(value: f64, time_ms: i64) -> Sample {
        Sample {
            metric: Metric::Duration,
            value,
            time_ms,
        }
    }

    fn started(out: &Out) -> Arc<Recorder> {
        let recorder = Arc::new(Recorder::new("f", Box::new(out.clone())));
        let timer = recorder.clone();
        tokio::spawn(async move { timer.write_when_due().await });
        recorder
    }

    /// Lets the timer task run at the current (paused) time.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn samples_are_written_a_minute_after_the_first_of_them_arrived() {
        let out = Out::default();
        let recorder = started(&out);
        recorder.record(&[duration(1.0, T0)]);
        tokio::time::advance(Duration::from_secs(30)).await;
        recorder.record(&[duration(2.0, T0 + 30_000)]);
        tokio::time::advance(FLUSH_AFTER - Duration::from_secs(30) - Duration::from_millis(1))
            .await;
        settle().await;
        assert_eq!(out.documents(), Vec::<Value>::new(), "not due yet");
        tokio::time::advance(Duration::from_millis(1)).await;
        settle().await;
        let [document] = out.documents().try_into().unwrap();
        assert_eq!(document["Duration"], json!([1.0, 2.0]));
        assert_eq!(document["_aws"]["Timestamp"], json!(T0));
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_write_the_next_sample_starts_a_new_minute_of_waiting() {
        let out = Out::default();
        let recorder = started(&out);
        recorder.record(&[duration(1.0, T0)]);
        tokio::time::advance(FLUSH_AFTER).await;
        settle().await;
        assert_eq!(out.documents().len(), 1);
        tokio::time::advance(Duration::from_secs(600)).await;
        recorder.record(&[duration(2.0, T0 + 660_000)]);
        tokio::time::advance(FLUSH_AFTER - Duration::from_millis(1)).await;
        settle().await;
        assert_eq!(out.documents().len(), 1, "an idle timer wrote nothing");
        tokio::time::advance(Duration::from_millis(1)).await;
        settle().await;
        let documents = out.documents();
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1]["Duration"], json!([2.0]));
        assert_eq!(documents[1]["_aws"]["Timestamp"], json!(T0 + 660_000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_flush_at_shutdown_writes_everything_and_leaves_nothing_due() {
        let out = Out::default();
        let recorder = started(&out);
        recorder.record(&[duration(1.0, T0), duration(2.0, T0 + 60_000)]);
        recorder.flush();
        let stamps: Vec<_> = out
            .documents()
            .iter()
            .map(|d| d["_aws"]["Timestamp"].clone())
            .collect();
        assert_eq!(stamps, [json!(T0), json!(T0 + 60_000)]);
        tokio::time::advance(FLUSH_AFTER * 2).await;
        settle().await;
        assert_eq!(out.documents().len(), 2, "nothing written twice");
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_without_samples_sets_no_deadline() {
        let out = Out::default();
        let recorder = started(&out);
        recorder.record(&[]);
        assert!(recorder.state().due.is_none());
        tokio::time::advance(FLUSH_AFTER * 2).await;
        settle().await;
        assert_eq!(out.documents(), Vec::<Value>::new());
    }
}
