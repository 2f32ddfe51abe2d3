import XCTest
@testable import Inventory

final class XMLTreeTests: XCTestCase {
    func testNamespacesAttributesAndText() throws {
        let t = try XMLTree.parse("""
            <?xml version="1.0"?>
            <!-- comment -->
            <root xmlns:a="urn:a" x='1'><a:item a:k="v" plain="p">hello <b>bold</b><![CDATA[ <raw> ]]></a:item><c/></root>
            """)
        XCTAssertEqual(t.name, "root")
        XCTAssertNil(t.namespace)
        XCTAssertEqual(t.attr("x"), "1")
        XCTAssertNil(t.attr("xmlns:a"), "namespace declarations are not attributes")
        let item = t.children[0]
        XCTAssertEqual(item.name, "item")
        XCTAssertEqual(item.qualifiedName, "a:item")
        XCTAssertEqual(item.namespace, "urn:a")
        XCTAssertEqual(item.attributes, ["k": "v", "plain": "p"])
        XCTAssertEqual(item.text, "hello bold <raw> ")
        XCTAssertNil(t.child("item"), "child(_:) only finds elements without a namespace")
        XCTAssertNotNil(t.child("c"))
    }

    func testErrorsNameLineAndReason() {
        let cases: [(String, Int)] = [
            ("<a>\n<b></c>\n</a>", 2),
            ("<a x=1/>", 1),
            ("<a/><b/>", 1),
            ("", 1),
            ("just text", 1),
        ]
        for (doc, line) in cases {
            XCTAssertThrowsError(try XMLTree.parse(doc), doc) { error in
                guard let e = error as? XMLTree.ParseError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, "\(doc): \(e)")
                XCTAssertFalse(e.reason.isEmpty)
            }
        }
    }

    func testExternalEntitiesAreNotLoaded() {
        let doc = "<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>"
        if let t = try? XMLTree.parse(doc) {
            XCTAssertFalse(t.text.contains("root:"), "external entity loaded")
        }
    }
}
