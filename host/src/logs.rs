//! Log lines: the host's own and the guests' stdout/stderr, each guest line
//! prefixed with its component's name. Lines go to the process's stderr and,
//! for tests, are also kept in memory so a failing test can print them.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Where log lines go.
#[derive(Clone, Default)]
pub struct LogSink {
    inner: Arc<SinkInner>,
}

#[derive(Default)]
struct SinkInner {
    echo: bool,
    kept: Mutex<Vec<String>>,
}

const KEPT_LINES: usize = 20_000;

impl LogSink {
    /// `echo` writes each line to stderr as well as keeping it.
    pub fn new(echo: bool) -> Self {
        Self {
            inner: Arc::new(SinkInner {
                echo,
                kept: Mutex::default(),
            }),
        }
    }

    pub fn line(&self, line: String) {
        if self.inner.echo {
            eprintln!("{line}");
        }
        if let Ok(mut kept) = self.inner.kept.lock() {
            if kept.len() >= KEPT_LINES {
                kept.drain(..KEPT_LINES / 2);
            }
            kept.push(line);
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.inner
            .kept
            .lock()
            .map(|k| k.clone())
            .unwrap_or_default()
    }
}

/// A guest's stdout or stderr.
#[derive(Clone)]
pub struct GuestOutput {
    pub prefix: String,
    pub sink: LogSink,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            out: self.clone(),
            pending: Vec::new(),
        })
    }
}

struct LineWriter {
    out: GuestOutput,
    pending: Vec<u8>,
}

impl LineWriter {
    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        self.out.sink.line(format!(
            "[{}] {}",
            self.out.prefix,
            text.trim_end_matches('\r')
        ));
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            self.emit(&line[..line.len() - 1]);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
    }
}
