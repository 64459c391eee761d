//! Prints a presigned URL for the local object store, for trying the store by
//! hand: `cargo run -p farm-signing --example presign -- PUT key.stl 60 [unix_time]`.

use farm_signing::sigv4::{Bucket, Credentials, Endpoint};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let method = args.first().map_or("GET", String::as_str);
    let key = args.get(1).map_or("example.stl", String::as_str);
    let expires: u64 = args.get(2).map_or(Ok(60), |s| s.parse())?;
    let now: i64 = match args.get(3) {
        Some(t) => t.parse()?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
            .try_into()?,
    };
    let bucket = Bucket::new(
        Endpoint::parse(
            &std::env::var("S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:19000".into()),
        )?,
        "farm-uploads",
        Credentials {
            access_key: "farmlocal".into(),
            secret_key: "farmlocalsecret".into(),
            region: "us-east-1".into(),
        },
    );
    let headers: &[(&str, &str)] = if method == "PUT" {
        &[("Content-Type", "model/stl")]
    } else {
        &[]
    };
    let signed = bucket.presign(method, key, headers, expires, now)?;
    println!("{}", signed.url);
    for (name, value) in signed.required_headers {
        eprintln!("{name}: {value}");
    }
    Ok(())
}
