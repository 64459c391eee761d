use super::*;
use std::process::{Command, Stdio};

/// A `w` × `h` RGB test card: a horizontal red ramp, a vertical green
/// ramp, blue constant; smooth, so JPEG keeps it within a few levels.
fn card(w: usize, h: usize) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            rgb.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, 96]);
        }
    }
    rgb
}

fn jpeg(w: usize, h: usize, rgb: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

fn png_pixels(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(png);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn the_login_packet_is_the_documented_80_bytes() {
    let packet = login_packet("bblp", "12345678").expect("fits");
    // ha-bambulab packs "<I" 0x40, "<I" 0x3000, two "<I" 0: the bytes
    // 40 00 00 00 00 30 00 00 and eight zeros; then the user and the code
    // in 32-byte NUL-padded fields.
    assert_eq!(
        packet[..16],
        [0x40, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(&packet[16..20], b"bblp");
    assert!(packet[20..48].iter().all(|b| *b == 0));
    assert_eq!(&packet[48..56], b"12345678");
    assert!(packet[56..].iter().all(|b| *b == 0));
    assert!(matches!(
        login_packet("bblp", &"9".repeat(33)),
        Err(CameraError::AccessCode)
    ));
}

#[test]
fn a_frame_header_states_the_jpeg_length_little_endian() {
    // 10 000 = 0x2710: 10 27 00 00, then the words 0, 1, 0.
    let header = [0x10, 0x27, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(frame_len(&header), 10_000);
    assert_eq!(frame_header(10_000), header);
}

#[test]
fn a_jpeg_frame_becomes_a_png_of_the_same_picture() {
    let (w, h) = (64, 48);
    let rgb = card(w, h);
    let frame = jpeg(w, h, &rgb);
    let png = jpeg_to_png(&frame).expect("png");
    let (pw, ph, pixels) = png_pixels(&png);
    assert_eq!((pw as usize, ph as usize), (w, h));
    // PNG is lossless: the PNG holds exactly the decoded JPEG's pixels,
    // which are the card's within JPEG's loss.
    assert_eq!(pixels, decode_jpeg(&frame).expect("decode").2);
    let worst = pixels
        .iter()
        .zip(&rgb)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    assert!(worst <= 12, "JPEG error {worst} levels");
    assert!(matches!(
        jpeg_to_png(b"not a jpeg"),
        Err(CameraError::Jpeg(_))
    ));
}

#[test]
fn each_model_has_its_cameras_protocol() {
    assert_eq!(CameraKind::of_model("P1S"), CameraKind::ChamberImage);
    assert_eq!(CameraKind::of_model("A1 mini"), CameraKind::ChamberImage);
    assert_eq!(CameraKind::of_model("X1C"), CameraKind::Rtsps);
    assert_eq!(CameraKind::of_model("unknown"), CameraKind::None);
    // ffmpeg reads plain RTSP from the loopback relay, never the printer.
    assert_eq!(
        relay_url(40123, "1234abcd"),
        "rtsp://bblp:1234abcd@127.0.0.1:40123/streaming/live/1"
    );
}

fn ffmpeg_present() -> bool {
    Command::new(ffmpeg_program())
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The X1 path's child process: one frame of a source ffmpeg reads (here
/// a JPEG file; on a printer the RTSPS stream) comes back as PNG.
#[test]
fn ffmpeg_turns_one_frame_into_png_and_a_dead_stream_into_an_error() {
    if !ffmpeg_present() {
        // Debian's ffmpeg is what the X1 path runs; without it that path
        // is an error at run time, which the second half checks.
        eprintln!("ffmpeg not installed: only the missing-program error is checked");
        let err =
            ffmpeg_png("/nonexistent.jpg", &[], Duration::from_secs(5)).expect_err("no ffmpeg");
        assert!(err.to_string().contains("could not start"), "{err}");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (w, h) = (40, 30);
    let rgb = card(w, h);
    let path = dir.path().join("frame.jpg");
    std::fs::write(&path, jpeg(w, h, &rgb)).expect("write");
    let png =
        ffmpeg_png(path.to_str().expect("utf-8"), &[], Duration::from_secs(20)).expect("a frame");
    let (pw, ph, pixels) = png_pixels(&png);
    assert_eq!((pw, ph), (w as u32, h as u32));
    let worst = pixels
        .iter()
        .zip(&rgb)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    assert!(worst <= 16, "ffmpeg's frame is {worst} levels off");

    // Nobody listens: an error, quickly, with the access code hidden.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let target = CameraTarget {
        serial: "00MX".into(),
        host: "127.0.0.1".into(),
        port,
        kind: CameraKind::Rtsps,
        access_code: crate::Secret::new("sekret42"),
    };
    let started = Instant::now();
    let err =
        still_png(&target, &PinStore::in_memory(), Duration::from_secs(15)).expect_err("closed");
    assert!(started.elapsed() < Duration::from_secs(15), "{err}");
    assert!(!err.to_string().contains("sekret42"), "{err}");
}
