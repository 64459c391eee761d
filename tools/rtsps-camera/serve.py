#!/usr/bin/python3
"""A stand-in for a Bambu X1's LAN camera: RTSP over TLS, one H.264 stream at
/streaming/live/1, user `bblp` and the printer's access code.

The server is GStreamer's rtsp-server (Debian: gir1.2-gst-rtsp-server-1.0,
through python3-gi); the picture is videotestsrc's 100% colour bars
(`smpte100`: white, yellow, cyan, green, magenta, red, blue, left to right,
each 1/7 of the width), encoded by x264enc (gstreamer1.0-plugins-ugly)
and sent by rtph264pay (-good). TLS is GLib's (glib-networking) with a
self-signed certificate made by `openssl` at start, CN the printer's serial
(a real printer's is issued by Bambu Lab's own CA to CN=<serial>,
OpenBambuAPI's tls.md; the gateway pins whatever it is shown first).

What it copies of an X1 (sources: OpenBambuAPI's video.md: port 322,
`rtsps://<ip>:322/streaming/live/1`, TLS, user `bblp`, password the LAN
access code; Bambu Studio issue 1536: "RTSP over TCP", encryption on;
hisptoot/BambuSource2Raw issue 7: H.264 over RTSP/RTSPS):
  - the path, the user, the access code as password, TLS only;
  - interleaved TCP only (UDP is refused), one stream shared by every
    client (a camera: a client joins a running stream, mid-GOP);
  - the authentication scheme is not documented anywhere public we found:
    `--auth basic` (the default) or `--auth digest` serve either, so a client
    can be checked against both.

  /usr/bin/python3 tools/rtsps-camera/serve.py --port 8322 --access-code 12345678
      prints one line `ready port=<port> size=<w>x<h>` when it accepts
      clients, then serves until killed (SIGTERM/SIGINT)
  ffmpeg -rtsp_transport tcp -i rtsps://bblp:12345678@127.0.0.1:8322/streaming/live/1 \\
      -frames:v 1 -update 1 /tmp/x1.png
      one frame of it as PNG (ffmpeg does not check the self-signed certificate)
  /usr/bin/python3 tools/rtsps-camera/serve.py --check
      exit 0 (and "ok") when every package it needs is installed, else 1 and
      what is missing

Debian's /usr/bin/python3: python3-gi installs into it, not into another
Python on the PATH.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile

# The elements the stream uses, and the packages that hold them.
ELEMENTS = {
    "videotestsrc": "gstreamer1.0-plugins-base",
    "videoconvert": "gstreamer1.0-plugins-base",
    "x264enc": "gstreamer1.0-plugins-ugly",
    "rtph264pay": "gstreamer1.0-plugins-good",
}
# The path an X1 serves its camera at.
PATH = "/streaming/live/1"
# The user of every Bambu LAN service.
USER = "bblp"


def load_gi():
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import Gio, GLib, Gst, GstRtsp, GstRtspServer

    Gst.init(None)
    return Gio, GLib, Gst, GstRtsp, GstRtspServer


def check():
    """The packages missing for a server, as (package, why) pairs."""
    try:
        Gio, _, Gst, _, _ = load_gi()
    except (ImportError, ValueError) as error:
        return [("python3-gi gir1.2-gst-rtsp-server-1.0", str(error))]
    missing = [
        (package, f"no GStreamer element {name}")
        for name, package in ELEMENTS.items()
        if Gst.ElementFactory.find(name) is None
    ]
    if not Gio.TlsBackend.get_default().supports_tls():
        missing.append(("glib-networking", "GLib has no TLS backend"))
    return missing


def self_signed(directory, common_name):
    """A P-256 key and a one-day self-signed certificate (PEM files)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", f"/CN={common_name}", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return cert, key


def launch_line(width, height, fps):
    # is-live: frames at the camera's pace, as a live camera sends them.
    # key-int-max: a keyframe every second, so a client joining mid-stream
    # decodes a clean picture within a second. quantizer 18: bars within a
    # few levels of their nominal colours.
    return (
        f"( videotestsrc pattern=smpte100 is-live=true"
        f" ! video/x-raw,width={width},height={height},framerate={fps}/1"
        f" ! videoconvert ! video/x-raw,format=I420"
        f" ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps}"
        f" pass=quant quantizer=18"
        f" ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def serve(args):
    Gio, GLib, _, GstRtsp, GstRtspServer = load_gi()
    workdir = tempfile.TemporaryDirectory(prefix="rtsps-camera-")
    cert_path, key_path = self_signed(workdir.name, args.serial)
    certificate = Gio.TlsCertificate.new_from_files(cert_path, key_path)

    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))

    # Only a client with the access code gets the "camera" role, and only
    # that role may open or build the stream; anyone else gets 401.
    auth = GstRtspServer.RTSPAuth()
    auth.set_tls_certificate(certificate)
    auth.set_tls_authentication_mode(Gio.TlsAuthenticationMode.NONE)
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "camera")
    if args.auth == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(USER, args.access_code, token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(USER, args.access_code), token)
    server.set_auth(auth)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.width, args.height, args.fps))
    factory.set_shared(True)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    # The picture keeps running between clients, as a camera's does.
    factory.set_stop_on_disconnect(False)
    factory.set_suspend_mode(GstRtspServer.RTSPSuspendMode.NONE)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("camera", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role("camera", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory(PATH, factory)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        sys.exit(f"could not listen on {args.host}:{args.port}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"ready port={server.get_bound_port()} size={args.width}x{args.height}", flush=True)
    loop.run()
    workdir.cleanup()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only check that the packages it needs are installed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0,
                        help="0: any free port (the ready line says which)")
    parser.add_argument("--access-code", default=os.environ.get("RTSPS_CAMERA_ACCESS_CODE"),
                        help="the password of user bblp (default: $RTSPS_CAMERA_ACCESS_CODE)")
    parser.add_argument("--auth", choices=["basic", "digest"], default="basic")
    parser.add_argument("--serial", default="00M00A000000000",
                        help="the certificate's CN (a printer's serial)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    if args.check:
        missing = check()
        for package, why in missing:
            print(f"missing {package}: {why}", file=sys.stderr)
        if not missing:
            print("ok: GStreamer's rtsp-server, its elements and a TLS backend are installed")
        sys.exit(1 if missing else 0)
    if not args.access_code:
        parser.error("--access-code (or RTSPS_CAMERA_ACCESS_CODE) is required")
    serve(args)


if __name__ == "__main__":
    main()
