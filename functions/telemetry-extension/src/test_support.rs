//! What the unit tests share: an output that keeps what was written.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use serde_json::Value;

/// Where a recorder writes in a test: the lines stay readable by the test.
#[derive(Clone, Default)]
pub struct Out(Arc<Mutex<Vec<u8>>>);

impl Write for Out {
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

impl Out {
    /// Every line written so far, each parsed as JSON.
    pub fn documents(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
