//! Where log lines go: a buffer shared by every thread, written out by a thread of its
//! own every [`FLUSH_EVERY`] (sooner once [`HIGH_WATER`] bytes piled up).
//!
//! A request's log line costs a copy into memory: no system call, no thread to wake.
//! Under load, one write carries hundreds of lines. Nothing is dropped: when the buffer
//! reaches [`MAX_PENDING`] bytes (the output is stuck or far too slow), the thread
//! with a new line writes everything out itself and waits for it. Lines reach the
//! output at most [`FLUSH_EVERY`] after they were logged, and [`Flusher`] writes the
//! rest when it is dropped (at the end of `serve`).

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Piled-up bytes that wake the writing thread before its time.
pub const HIGH_WATER: usize = 256 * 1024;
/// Piled-up bytes at which a logging thread writes everything itself.
pub const MAX_PENDING: usize = 16 * 1024 * 1024;

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    pending: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a byte buffer and a flag: whole after every statement.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands log lines to the buffer; clone it freely (one per subscriber layer).
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchWriter")
    }
}

/// Runs the writing thread; dropping it writes what is left and stops the thread.
#[must_use = "dropping the flusher stops the writing thread"]
pub struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Flusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Flusher")
    }
}

/// A writer into `out` and the thread that empties it.
pub fn batch_writer(out: impl Write + Send + 'static) -> io::Result<(BatchWriter, Flusher)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            pending: Vec::with_capacity(64 * 1024),
            stopping: false,
        }),
        wake: Condvar::new(),
    });
    let out: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(out)));
    let thread = {
        let shared = Arc::clone(&shared);
        let out = Arc::clone(&out);
        std::thread::Builder::new()
            .name("gistdesk-log".to_owned())
            .spawn(move || run(&shared, &out))?
    };
    Ok((
        BatchWriter {
            shared: Arc::clone(&shared),
            out,
        },
        Flusher {
            shared,
            thread: Some(thread),
        },
    ))
}

/// The writing thread: every `FLUSH_EVERY` (or when woken), take what piled up and
/// write it. It takes the output before letting go of the buffer (the same order as a
/// writer that writes for itself), so batches reach the output in the order they
/// were taken.
fn run(shared: &Shared, out: &Mutex<Box<dyn Write + Send>>) {
    let mut spare = Vec::with_capacity(64 * 1024);
    loop {
        let state = shared.state();
        let (mut state, _) = shared
            .wake
            .wait_timeout_while(state, FLUSH_EVERY, |s| {
                !s.stopping && s.pending.len() < HIGH_WATER
            })
            .unwrap_or_else(PoisonError::into_inner);
        let stopping = state.stopping;
        if state.pending.is_empty() {
            drop(state);
        } else {
            std::mem::swap(&mut state.pending, &mut spare);
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            drop(state);
            let _ = out.write_all(&spare);
            let _ = out.flush();
            drop(out);
            spare.clear();
        }
        if stopping {
            return;
        }
    }
}

/// Writes `bytes`; a log that cannot be written has nowhere to report that.
fn write_out(out: &Mutex<Box<dyn Write + Send>>, bytes: &[u8]) {
    let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

impl BatchWriter {
    fn put(&self, buf: &[u8]) {
        let mut state = self.shared.state();
        if state.stopping {
            // After the flusher ended: straight through.
            drop(state);
            write_out(&self.out, buf);
            return;
        }
        state.pending.extend_from_slice(buf);
        let len = state.pending.len();
        if len >= MAX_PENDING {
            // The writing thread cannot keep up: write it all here (the output's lock
            // keeps the order), and wait for it rather than drop anything.
            let all = std::mem::take(&mut state.pending);
            let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
            drop(state);
            let _ = out.write_all(&all);
            let _ = out.flush();
        } else if len >= HIGH_WATER {
            self.shared.wake.notify_one();
        }
    }
}

impl Write for &BatchWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.put(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Lines are written within FLUSH_EVERY; `Flusher` writes the rest at the end.
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = &'a BatchWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A `Write` whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("sink").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().expect("sink")).into_owned()
        }
    }

    #[test]
    fn a_line_is_written_soon_without_more_lines_behind_it() {
        let sink = Sink::default();
        let (writer, _flusher) = batch_writer(sink.clone()).expect("thread");
        (&writer).write_all(b"one line\n").expect("write");
        let start = Instant::now();
        while !sink.text().contains("one line") {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the line was not written"
            );
            std::thread::yield_now();
        }
    }

    #[test]
    fn every_line_from_every_thread_is_written_in_order_per_thread_by_the_end() {
        let sink = Sink::default();
        let (writer, flusher) = batch_writer(sink.clone()).expect("thread");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for n in 0..20_000 {
                        (&writer)
                            .write_all(format!("t{t} line {n}\n").as_bytes())
                            .expect("write");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("writer thread");
        }
        drop(flusher);
        let text = sink.text();
        for t in 0..4 {
            let numbers: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("t{t} line ")))
                .map(|n| n.parse().expect("a number"))
                .collect();
            assert_eq!(numbers, (0..20_000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    #[test]
    fn a_flood_is_written_by_its_writers_once_the_bound_is_reached() {
        // 40 MB through a 16 MB bound: the writers write themselves once it is reached.
        let sink = Sink::default();
        let (writer, flusher) = batch_writer(sink.clone()).expect("thread");
        let mut writer = &writer;
        let line = vec![b'x'; 1023];
        for _ in 0..40 * 1024 {
            writer.write_all(&line).expect("write");
            writer.write_all(b"\n").expect("write");
            assert!(flusher.shared.state().pending.len() < MAX_PENDING);
        }
        drop(flusher);
        assert_eq!(sink.0.lock().expect("sink").len(), 40 * 1024 * 1024);
    }

    #[test]
    fn lines_after_the_end_still_reach_the_output() {
        let sink = Sink::default();
        let (writer, flusher) = batch_writer(sink.clone()).expect("thread");
        drop(flusher);
        (&writer).write_all(b"late line\n").expect("write");
        assert!(sink.text().contains("late line"));
    }
}
