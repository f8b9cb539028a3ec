use preflight_vuln::Tlp;

#[test]
fn labels_parse_in_every_spelling() {
    let cases = [
        ("CLEAR", Tlp::Clear),
        ("TLP:CLEAR", Tlp::Clear),
        ("WHITE", Tlp::Clear),
        ("tlp:white", Tlp::Clear),
        ("GREEN", Tlp::Green),
        ("AMBER", Tlp::Amber),
        ("TLP:AMBER+STRICT", Tlp::AmberStrict),
        ("amber+strict", Tlp::AmberStrict),
        (" RED ", Tlp::Red),
    ];
    for (text, want) in cases {
        assert_eq!(text.parse::<Tlp>().expect(text), want, "{text}");
    }
    let err = "AMBER-STRICT".parse::<Tlp>().expect_err("not a label");
    assert_eq!(
        err.to_string(),
        "tlp: invalid value \"AMBER-STRICT\": unknown TLP label (expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED)"
    );
}

#[test]
fn order_names_and_stix_ids() {
    assert!(
        Tlp::Clear < Tlp::Green
            && Tlp::Green < Tlp::Amber
            && Tlp::Amber < Tlp::AmberStrict
            && Tlp::AmberStrict < Tlp::Red
    );
    for tlp in Tlp::ALL {
        assert_eq!(tlp.as_str().parse::<Tlp>().expect("round trip"), tlp);
        assert_eq!(
            serde_json::to_value(tlp).expect("serialises"),
            serde_json::json!(tlp.as_str())
        );
        assert!(tlp.stix_marking_id().starts_with("marking-definition--"));
    }
    assert_eq!(Tlp::Clear.csaf_v1_label(), Some("WHITE"));
    assert_eq!(Tlp::AmberStrict.csaf_v1_label(), None);
    assert_eq!(
        Tlp::Red.stix_marking_id(),
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    );
}
