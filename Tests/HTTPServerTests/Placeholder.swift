import XCTest

final class HTTPServerTestsPlaceholder: XCTestCase {}
