//! A small SMTP client (RFC 5321) for handing one message to a relay.
//!
//! Why our own: `lettre` 0.11's SMTP transport creates and connects its
//! socket through `socket2`; built for `wasm32-wasip2` that failed with
//! `EINVAL` (os error 28) in the local host, while Rust std's `TcpStream`
//! connects there (it is `wasi:sockets`; see tests/tests/host_sockets.rs). The mailer therefore
//! formats the message with `lettre` (RFC 5322 headers and encodings) and
//! speaks SMTP with this client over a std `TcpStream`. The client is generic
//! over `Read + Write`, so it is tested natively with scripted servers.
//!
//! The dialogue (RFC 5321 §3.3, §4.1): wait for `220`; `EHLO` (`HELO` if the
//! server refuses EHLO with 500/502); `MAIL FROM:<..>` (`250`); one
//! `RCPT TO:<..>` per recipient (`250`/`251`); `DATA` (`354`); the message,
//! line ends normalised to CRLF and lines starting with `.` doubled
//! (dot-stuffing, §4.5.2), ended by `CRLF.CRLF` (`250`); `QUIT`. No STARTTLS
//! and no AUTH: the relay is on loopback or a private network.

use std::fmt;
use std::io::{Read, Write};

/// Longest reply we accept, all lines together (RFC 5321 §4.5.3.1.5 allows
/// 512 octets per line; EHLO lists extensions over many lines).
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why a message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpError {
    /// The step that failed: `greeting`, `EHLO`, `MAIL FROM`, `RCPT TO`, `DATA`, `message`.
    pub stage: &'static str,
    /// The server's reply code, when it answered.
    pub code: Option<u16>,
    pub message: String,
}

impl fmt::Display for SmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} refused: {code} {}", self.stage, self.message),
            None => write!(f, "{}: {}", self.stage, self.message),
        }
    }
}

impl std::error::Error for SmtpError {}

/// One reply: its code and its text lines joined with `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

/// Hands `message` (a complete RFC 5322 message, headers and body) to the
/// server on `stream` for delivery from `from` to every address in `to`.
pub fn send<S: Read + Write>(
    stream: S,
    helo_name: &str,
    from: &str,
    to: &[&str],
    message: &[u8],
) -> Result<(), SmtpError> {
    for (stage, value) in std::iter::once(("EHLO", helo_name))
        .chain(std::iter::once(("MAIL FROM", from)))
        .chain(to.iter().map(|t| ("RCPT TO", *t)))
    {
        if value.is_empty() || value.contains(['\r', '\n', '<', '>', ' ']) {
            return Err(SmtpError {
                stage,
                code: None,
                message: format!("{value:?} cannot be sent in a command"),
            });
        }
    }
    if to.is_empty() {
        return Err(SmtpError {
            stage: "RCPT TO",
            code: None,
            message: "no recipient".into(),
        });
    }
    let mut c = Conn::new(stream);
    c.expect("greeting", &[220])?;
    c.command("EHLO", &format!("EHLO {helo_name}"))?;
    let ehlo = c.reply("EHLO")?;
    if matches!(ehlo.code, 500 | 502) {
        c.command("HELO", &format!("HELO {helo_name}"))?;
        c.expect("HELO", &[250])?;
    } else if ehlo.code != 250 {
        return Err(refused("EHLO", ehlo));
    }
    c.command("MAIL FROM", &format!("MAIL FROM:<{from}>"))?;
    c.expect("MAIL FROM", &[250])?;
    for rcpt in to {
        c.command("RCPT TO", &format!("RCPT TO:<{rcpt}>"))?;
        c.expect("RCPT TO", &[250, 251])?;
    }
    c.command("DATA", "DATA")?;
    c.expect("DATA", &[354])?;
    c.write("message", &dot_stuff(message))?;
    c.expect("message", &[250])?;
    // The message is accepted; a failed QUIT changes nothing.
    let _ = c.command("QUIT", "QUIT").and_then(|()| c.reply("QUIT"));
    Ok(())
}

/// The message as sent after `DATA`: CRLF line ends, every line that starts
/// with `.` given one more, and the closing `.` line.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut at_line_start = true;
    let mut previous = 0u8;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        match b {
            b'\n' if previous != b'\r' => out.extend_from_slice(b"\r\n"),
            b'\n' => out.push(b'\n'),
            b'\r' => out.push(b'\r'),
            _ => out.push(b),
        }
        // A lone CR is not a line end; only LF ends a line.
        at_line_start = b == b'\n';
        previous = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn refused(stage: &'static str, reply: Reply) -> SmtpError {
    SmtpError {
        stage,
        code: Some(reply.code),
        message: reply.text,
    }
}

struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    fn write(&mut self, stage: &'static str, bytes: &[u8]) -> Result<(), SmtpError> {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|e| io_error(stage, &e))
    }

    fn command(&mut self, stage: &'static str, line: &str) -> Result<(), SmtpError> {
        self.write(stage, format!("{line}\r\n").as_bytes())
    }

    fn expect(&mut self, stage: &'static str, codes: &[u16]) -> Result<Reply, SmtpError> {
        let reply = self.reply(stage)?;
        if codes.contains(&reply.code) {
            Ok(reply)
        } else {
            Err(refused(stage, reply))
        }
    }

    /// Reads one reply: lines `ddd-text` continued until `ddd text` (§4.2.1).
    fn reply(&mut self, stage: &'static str) -> Result<Reply, SmtpError> {
        let mut lines = Vec::new();
        let mut total = 0;
        loop {
            let line = self.line(stage)?;
            total += line.len();
            if total > MAX_REPLY_BYTES {
                return Err(malformed(stage, "reply too long"));
            }
            let code = line
                .get(..3)
                .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| malformed(stage, &format!("bad reply line {line:?}")))?;
            let (more, text) = match line.as_bytes().get(3) {
                Some(b'-') => (true, &line[4..]),
                Some(b' ') => (false, &line[4..]),
                None => (false, ""),
                Some(_) => return Err(malformed(stage, &format!("bad reply line {line:?}"))),
            };
            lines.push(text.to_string());
            if !more {
                return Ok(Reply {
                    code,
                    text: lines.join("\n"),
                });
            }
        }
    }

    /// One line without its CRLF (a bare LF is tolerated).
    fn line(&mut self, stage: &'static str) -> Result<String, SmtpError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_REPLY_BYTES {
                return Err(malformed(stage, "reply line too long"));
            }
            let mut chunk = [0u8; 1024];
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| io_error(stage, &e))?;
            if n == 0 {
                return Err(malformed(stage, "the server closed the connection"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn io_error(stage: &'static str, e: &std::io::Error) -> SmtpError {
    SmtpError {
        stage,
        code: None,
        message: e.to_string(),
    }
}

fn malformed(stage: &'static str, what: &str) -> SmtpError {
    SmtpError {
        stage,
        code: None,
        message: what.to_string(),
    }
}

#[cfg(test)]
mod tests;
