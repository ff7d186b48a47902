//! Any byte string as a capture file, through the pipeline into the
//! report (which holds the election view): the HTML page and the election
//! SVG must always be well-formed XML (every name, certificate field or
//! method taken from the capture escaped), the same bytes twice (the
//! pictures are deterministic), and never panic. Seeds: the project's
//! captures (captures/*.pcapng) or fuzz/seed.sh's.

#![no_main]

use std::io::Cursor;
use std::path::Path;

use kinspect::capture::{FileSource, PacketSource};
use kinspect::net::FlowConfig;
use kinspect::pipeline::Pipeline;
use kinspect::view::report::{ReportOptions, ReportView};
use kinspect::view::svg::{Lang, Theme};
use libfuzzer_sys::fuzz_target;

fn render(data: &[u8], lang: Lang) -> Option<String> {
    let mut src = FileSource::from_reader(Path::new("fuzz"), Cursor::new(data)).ok()?;
    let mut view = ReportView::new(ReportOptions {
        theme: Theme::Auto,
        lang,
        files: vec!["fuzz<&>\"x\u{1}.pcap".to_string()],
    });
    let mut pipeline = Pipeline::new(FlowConfig::default());
    let _ = pipeline.run(&mut src as &mut dyn PacketSource, &mut view, |_, _| {});
    let summary = pipeline.finish(&mut view);
    Some(view.finish(&summary))
}

fuzz_target!(|data: &[u8]| {
    let lang = if data.first().is_some_and(|b| b & 1 == 1) {
        Lang::Ko
    } else {
        Lang::En
    };
    let Some(a) = render(data, lang) else {
        return;
    };
    let b = render(data, lang).expect("the same input opens twice");
    assert!(a == b, "the report differs between two runs");
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    if let Err(e) = roxmltree::Document::parse_with_options(&a, options) {
        panic!("report is not well-formed: {e}");
    }
});
