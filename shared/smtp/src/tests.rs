use super::*;
use std::io;

/// A server that answers with canned replies, in order, and records
/// everything the client wrote.
struct Scripted {
    replies: Vec<u8>,
    read_at: usize,
    written: Vec<u8>,
}

impl Scripted {
    fn new(replies: &[&str]) -> Self {
        Scripted {
            replies: replies.concat().into_bytes(),
            read_at: 0,
            written: Vec::new(),
        }
    }
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Small reads, so replies split across reads are exercised.
        let n = buf.len().min(7).min(self.replies.len() - self.read_at);
        buf[..n].copy_from_slice(&self.replies[self.read_at..self.read_at + n]);
        self.read_at += n;
        Ok(n)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const HAPPY: &[&str] = &[
    "220 relay.test ESMTP ready\r\n",
    "250-relay.test greets farm.local\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n",
    "250 OK\r\n",
    "250 OK\r\n",
    "251 will forward\r\n",
    "354 End data with <CR><LF>.<CR><LF>\r\n",
    "250 queued as 42\r\n",
    "221 bye\r\n",
];

#[test]
fn a_whole_dialogue_sends_exactly_the_rfc_5321_commands() {
    let mut server = Scripted::new(HAPPY);
    let message = b"Subject: hi\r\n\r\nline one\n.hidden\n..two dots\r\nend";
    send(
        &mut server,
        "farm.local",
        "no-reply@farm.local",
        &["ann@example.com", "bob@example.com"],
        message,
    )
    .expect("accepted");
    let expected = "EHLO farm.local\r\n\
                    MAIL FROM:<no-reply@farm.local>\r\n\
                    RCPT TO:<ann@example.com>\r\n\
                    RCPT TO:<bob@example.com>\r\n\
                    DATA\r\n\
                    Subject: hi\r\n\r\nline one\r\n..hidden\r\n...two dots\r\nend\r\n.\r\n\
                    QUIT\r\n";
    assert_eq!(String::from_utf8_lossy(&server.written), expected);
}

#[test]
fn dot_stuffing_doubles_leading_dots_and_normalises_line_ends() {
    assert_eq!(
        dot_stuff(b"a\r\n.b\n."),
        b"a\r\n..b\r\n..\r\n.\r\n".to_vec()
    );
    assert_eq!(dot_stuff(b".first"), b"..first\r\n.\r\n".to_vec());
    // A dot inside a line, or after a lone CR, is not at a line start.
    assert_eq!(dot_stuff(b"a.b\r.c\r\n"), b"a.b\r.c\r\n.\r\n".to_vec());
    assert_eq!(dot_stuff(b""), b"\r\n.\r\n".to_vec());
}

#[test]
fn a_refused_recipient_names_the_stage_and_the_server_reply() {
    let mut server = Scripted::new(&[
        "220 ready\r\n",
        "250 hello\r\n",
        "250 OK\r\n",
        "550-5.1.1 no such user\r\n550 5.1.1 really\r\n",
    ]);
    let err = send(&mut server, "h.test", "a@b.test", &["x@y.test"], b"m").expect_err("refused");
    assert_eq!(err.stage, "RCPT TO");
    assert_eq!(err.code, Some(550));
    assert_eq!(err.message, "5.1.1 no such user\n5.1.1 really");
    assert!(!String::from_utf8_lossy(&server.written).contains("DATA"));
}

#[test]
fn a_server_without_ehlo_gets_helo() {
    let mut server = Scripted::new(&[
        "220 old relay\r\n",
        "502 command not implemented\r\n",
        "250 hello\r\n",
        "250 OK\r\n",
        "250 OK\r\n",
        "354 go\r\n",
        "250 OK\r\n",
        "221 bye\r\n",
    ]);
    send(&mut server, "h.test", "a@b.test", &["x@y.test"], b"m").expect("accepted");
    assert!(String::from_utf8_lossy(&server.written).starts_with("EHLO h.test\r\nHELO h.test\r\n"));
}

#[test]
fn a_rejected_message_and_a_bad_greeting_are_errors() {
    let mut rejected = Scripted::new(&[
        "220 ready\r\n",
        "250 hello\r\n",
        "250 OK\r\n",
        "250 OK\r\n",
        "354 go\r\n",
        "554 spam\r\n",
    ]);
    let err = send(&mut rejected, "h.test", "a@b.test", &["x@y.test"], b"m").expect_err("no");
    assert_eq!((err.stage, err.code), ("message", Some(554)));

    let mut busy = Scripted::new(&["421 too busy\r\n"]);
    let err = send(&mut busy, "h.test", "a@b.test", &["x@y.test"], b"m").expect_err("no");
    assert_eq!((err.stage, err.code), ("greeting", Some(421)));

    let mut closed = Scripted::new(&["220 ready\r\n"]);
    let err = send(&mut closed, "h.test", "a@b.test", &["x@y.test"], b"m").expect_err("no");
    assert_eq!((err.stage, err.code), ("EHLO", None));
    assert!(err.message.contains("closed"), "{err}");

    let mut garbage = Scripted::new(&["hello there\r\n"]);
    let err = send(&mut garbage, "h.test", "a@b.test", &["x@y.test"], b"m").expect_err("no");
    assert_eq!((err.stage, err.code), ("greeting", None));
}

#[test]
fn addresses_that_could_inject_commands_are_refused_before_connecting() {
    for (from, to) in [
        ("a@b.test\r\nRCPT TO:<evil@x.test>", "x@y.test"),
        ("a@b.test", "x@y.test>\r\nDATA"),
        ("a@b.test", ""),
    ] {
        let mut server = Scripted::new(HAPPY);
        assert!(send(&mut server, "h.test", from, &[to], b"m").is_err());
        assert!(
            server.written.is_empty(),
            "nothing was sent for {from:?} {to:?}"
        );
    }
    let mut server = Scripted::new(HAPPY);
    assert!(send(&mut server, "h.test", "a@b.test", &[], b"m").is_err());
}
