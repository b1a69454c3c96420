import InstancePool
import XCTest

final class BlenderVersionTests: XCTestCase {
    func testParsesBlenderSpellings() {
        XCTAssertEqual(BlenderVersion("4.4.0"), BlenderVersion(4, 4, 0))
        XCTAssertEqual(BlenderVersion("3.4.1"), BlenderVersion(3, 4, 1))
        XCTAssertEqual(BlenderVersion("4.2.3 LTS"), BlenderVersion(4, 2, 3))
        XCTAssertEqual(BlenderVersion("Blender 3.4.1"), BlenderVersion(3, 4, 1))
        XCTAssertEqual(BlenderVersion("4.5.0-alpha"), BlenderVersion(4, 5, 0))
        XCTAssertEqual(BlenderVersion("4.4"), BlenderVersion(4, 4, 0))
        XCTAssertEqual(BlenderVersion(tuple: [4, 4, 0]), BlenderVersion(4, 4, 0))
        XCTAssertEqual(BlenderVersion(tuple: [3, 6]), BlenderVersion(3, 6, 0))
    }

    func testRejectsNonVersions() {
        for text in ["", "4", "four.four", "4..0", "4.4.0.1", "Blender", "v4.4", "4.-1.0", "1234567.0"] {
            XCTAssertNil(BlenderVersion(text), text)
        }
        XCTAssertNil(BlenderVersion(tuple: [4]))
        XCTAssertNil(BlenderVersion(tuple: [4, -1, 0]))
    }

    func testOrdersNumerically() {
        XCTAssertLessThan(BlenderVersion(3, 4, 1), BlenderVersion(4, 4, 0))
        XCTAssertLessThan(BlenderVersion(4, 2, 9), BlenderVersion(4, 10, 0))
        XCTAssertLessThan(BlenderVersion(4, 4, 0), BlenderVersion(4, 4, 1))
        XCTAssertEqual(BlenderVersion("4.2.0 LTS"), BlenderVersion("4.2.0"))
    }

    func testCodableAsString() throws {
        let data = try JSONEncoder().encode([BlenderVersion(4, 4, 0)])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["4.4.0"]"#)
        XCTAssertEqual(try JSONDecoder().decode([BlenderVersion].self, from: Data(#"["3.4.1 LTS"]"#.utf8)), [BlenderVersion(3, 4, 1)])
        XCTAssertThrowsError(try JSONDecoder().decode([BlenderVersion].self, from: Data(#"["nope"]"#.utf8)))
    }
}

final class VersionRequirementTests: XCTestCase {
    private func accepts(_ requirement: String, _ versions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let parsed = try VersionRequirement(parsing: requirement)
        for text in versions {
            let version = try XCTUnwrap(BlenderVersion(text), file: file, line: line)
            XCTAssertTrue(parsed.matches(version), "\(requirement) should accept \(text)", file: file, line: line)
        }
    }

    private func rejects(_ requirement: String, _ versions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let parsed = try VersionRequirement(parsing: requirement)
        for text in versions {
            let version = try XCTUnwrap(BlenderVersion(text), file: file, line: line)
            XCTAssertFalse(parsed.matches(version), "\(requirement) should reject \(text)", file: file, line: line)
        }
    }

    func testComparators() throws {
        try accepts(">=4.2", ["4.2.0", "4.4.0", "5.0.0"])
        try rejects(">=4.2", ["4.1.9", "3.4.1"])
        try accepts(">4.4.0", ["4.4.1", "4.5.0"])
        try rejects(">4.4.0", ["4.4.0", "3.6.0"])
        try accepts("<4", ["3.4.1", "3.99.0"])
        try rejects("<4", ["4.0.0", "4.4.0"])
        try accepts("<=4.4.1", ["4.4.1", "4.4.0"])
        try rejects("<=4.4.1", ["4.4.2"])
        try accepts("==4.4.0", ["4.4.0"])
        try rejects("==4.4.0", ["4.4.1"])
        try accepts("=3.4.1", ["3.4.1"])
    }

    func testPartialVersionsAreSeries() throws {
        // Bare and == partial versions name a whole release line.
        try accepts("4.4", ["4.4.0", "4.4.3"])
        try rejects("4.4", ["4.5.0", "4.3.9", "3.4.1"])
        try accepts("==4.4", ["4.4.7"])
        try accepts("4", ["4.0.0", "4.9.9"])
        try rejects("4", ["3.6.0", "5.0.0"])
        try accepts("4.x", ["4.1.0"])
        try accepts("4.4.*", ["4.4.2"])
        // > and <= of a partial version cover the whole line (npm X-ranges).
        try rejects(">4.4", ["4.4.0", "4.4.9"])
        try accepts(">4.4", ["4.5.0"])
        try accepts("<=4.4", ["4.4.9"])
        try rejects("<=4.4", ["4.5.0"])
        try rejects(">4", ["4.9.0"])
        try accepts(">4", ["5.0.0"])
    }

    func testConjunctionsAndAny() throws {
        try accepts(">=3.4,<4.5", ["3.4.0", "4.4.0", "4.4.9"])
        try rejects(">=3.4,<4.5", ["3.3.9", "4.5.0"])
        try accepts(" >= 3.4 , < 4.5 ", ["3.4.1"])
        try accepts("*", ["2.79.0", "4.4.0"])
        XCTAssertTrue(try VersionRequirement(parsing: "*").isAny)
        XCTAssertTrue(try VersionRequirement(parsing: "").isAny)
        XCTAssertEqual(try VersionRequirement(parsing: "x"), VersionRequirement.any)
        try rejects(">=5,<4", ["4.4.0", "5.0.0"])
    }

    func testEqualityIsBySemantics() throws {
        XCTAssertEqual(try VersionRequirement(parsing: "4.4"), try VersionRequirement(parsing: ">=4.4, <4.5"))
        XCTAssertEqual(try VersionRequirement(parsing: ">4.4"), try VersionRequirement(parsing: ">=4.5"))
        XCTAssertNotEqual(try VersionRequirement(parsing: ">=4.4"), try VersionRequirement(parsing: ">4.4"))
        XCTAssertEqual(try VersionRequirement(parsing: " >=4.2 ").text, ">=4.2")
    }

    func testErrorsSayHowToWriteIt() {
        let cases: [(String, RequirementError.Code)] = [
            (">=", .missingVersion), ("4.4,", .emptyClause), (",4.4", .emptyClause), (">=four", .invalidVersion),
            ("4.4.0.1", .invalidVersion), ("~4.4", .invalidVersion), (">=*", .invalidVersion), ("4.x.1", .invalidVersion),
        ]
        for (text, code) in cases {
            XCTAssertThrowsError(try VersionRequirement(parsing: text), text) { error in
                guard let error = error as? RequirementError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.code, code, text)
                XCTAssertEqual(error.requirement, text.trimmingCharacters(in: .whitespaces))
                XCTAssertTrue(error.message.contains("e.g.") || error.message.contains("use") || error.message.contains("write")
                              || error.message.contains("drop") || error.message.contains("at most"), error.message)
            }
        }
    }
}
