import InstancePool
import XCTest

final class CPUSetTests: XCTestCase {
    func testParsesTheKernelListFormat() {
        XCTAssertEqual(CPUSet(list: "1")?.cpus, [1])
        XCTAssertEqual(CPUSet(list: "0-2,5")?.cpus, [0, 1, 2, 5])
        XCTAssertEqual(CPUSet(list: "5,0-2,1")?.cpus, [0, 1, 2, 5], "order and repeats do not matter")
        XCTAssertEqual(CPUSet(list: "3-3")?.cpus, [3])
        XCTAssertEqual(CPUSet(list: "1023")?.cpus, [1023])
    }

    func testRefusesWhatTasksetWouldNot() {
        for bad in ["", ",", "1,", "-1", "2-1", "1-", "a", "1 ", " 1", "+1", "1-2-3", "1024", "0x1", "١"] {
            XCTAssertNil(CPUSet(list: bad), "'\(bad)' is not a CPU list")
        }
        XCTAssertNil(CPUSet([Int]()))
        XCTAssertNil(CPUSet([-1, 0]))
    }

    func testDescriptionMergesRanges() {
        XCTAssertEqual(CPUSet([0, 1, 2, 5])?.description, "0-2,5")
        XCTAssertEqual(CPUSet([7])?.description, "7")
        XCTAssertEqual(CPUSet([1, 3, 4, 6, 7, 8])?.description, "1,3-4,6-8")
        // Round trip: what the daemon logs and passes to taskset parses back to the same set.
        let set = CPUSet([9, 2, 3, 4, 11])
        XCTAssertEqual(set.flatMap { CPUSet(list: $0.description) }, set)
    }

    func testSubsetAndRemainder() throws {
        let machine = try XCTUnwrap(CPUSet(list: "0-3"))
        let instances = try XCTUnwrap(CPUSet(list: "2-3"))
        XCTAssertTrue(instances.isSubset(of: machine))
        XCTAssertFalse(machine.isSubset(of: instances))
        XCTAssertEqual(machine.subtracting(instances)?.description, "0-1")
        XCTAssertNil(instances.subtracting(machine), "nothing left for the daemon")
    }

    func testPinningWrapsTheCommandInTaskset() throws {
        let pinning = CPUPinning(cpus: try XCTUnwrap(CPUSet(list: "1,3")), taskset: "/usr/bin/taskset")
        let spec = LaunchSpec(executable: "/usr/bin/prlimit", arguments: ["--nofile=1024:1024", "--", "blender", "-b"],
                              environment: ["LC_ALL": "C.UTF-8"], workingDirectory: "/w")
        let pinned = pinning.wrap(spec)
        XCTAssertEqual(pinned.executable, "/usr/bin/taskset")
        XCTAssertEqual(pinned.arguments, ["--cpu-list", "1,3", "/usr/bin/prlimit", "--nofile=1024:1024", "--", "blender", "-b"])
        XCTAssertEqual(pinned.environment, spec.environment)
        XCTAssertEqual(pinned.workingDirectory, "/w")
    }
}
