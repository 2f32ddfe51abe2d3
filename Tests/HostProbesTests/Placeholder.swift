import XCTest

final class HostProbesTestsPlaceholder: XCTestCase {}
