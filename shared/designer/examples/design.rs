//! Prints the part program for each prompt on standard input (one a line);
//! a line starting with `>` is a follow-up edit of the previous program.
use std::io::BufRead;

fn main() {
    let mut last: Option<farm_partspec::PartSpec> = None;
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let result = match line.strip_prefix('>') {
            Some(edit) => match &last {
                Some(prev) => farm_designer::revise(prev, edit),
                None => continue,
            },
            None => farm_designer::design(&line),
        };
        println!("## {line}");
        match result {
            Ok(d) => {
                println!("{}", d.summary);
                println!("{}", serde_json::to_string(&d.spec).unwrap_or_default());
                last = Some(d.spec);
            }
            Err(e) => println!("ERROR {} {e}", e.code()),
        }
    }
}
