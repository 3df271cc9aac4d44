@testable import CycleGANTraining
import Foundation
import XCTest

final class RunLockAndSignalTests: XCTestCase {
    func testLockRejectsSecondHolder() throws {
        let directory = try makeTemporaryDirectory(self, label: "lock")
        let url = directory.appendingPathComponent("train.lock")
        let lock = try RunLock(url: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "\(getpid())\n")

        XCTAssertThrowsError(try RunLock(url: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("process \(getpid())"), message)
            XCTAssertTrue(message.contains("another training run"), message)
        }

        lock.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "lock not deleted")
        XCTAssertNoThrow(try RunLock(url: url), "lock not reusable after release")
    }

    func testStaleLockIsReplaced() throws {
        let directory = try makeTemporaryDirectory(self, label: "stale-lock")
        let url = directory.appendingPathComponent("train.lock")
        // A process that has exited and been reaped leaves its id unused.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let deadPID = finished.processIdentifier
        XCTAssertFalse(processIsAlive(deadPID), "pid \(deadPID) was reused; rerun the test")
        try "\(deadPID)\n".write(to: url, atomically: true, encoding: .utf8)

        let lock = try RunLock(url: url)
        XCTAssertTrue(lock.isHeld)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "\(getpid())\n")
    }

    func testLockWithGarbageContentIsReplaced() throws {
        let directory = try makeTemporaryDirectory(self, label: "garbage-lock")
        let url = directory.appendingPathComponent("train.lock")
        try "not a pid".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertTrue(try RunLock(url: url).isHeld)
    }

    func testSignalsRequestStopThenRepeatedSignalEscalates() throws {
        let stop = StopRequest()
        let first = expectation(description: "first signal reported")
        let second = expectation(description: "second signal escalates")
        let monitor = SignalMonitor(stopRequest: stop,
                                    onFirstSignal: { name in
                                        XCTAssertEqual(name, "SIGINT")
                                        first.fulfill()
                                    },
                                    onRepeatedSignal: { name in
                                        XCTAssertEqual(name, "SIGTERM")
                                        second.fulfill()
                                    })
        defer { monitor.cancel() }
        XCTAssertNil(stop.requestedReason)

        kill(getpid(), SIGINT)
        wait(for: [first], timeout: 5)
        XCTAssertEqual(stop.requestedReason, "SIGINT")

        kill(getpid(), SIGTERM)
        wait(for: [second], timeout: 5)
        XCTAssertEqual(stop.requestedReason, "SIGINT", "the first reason is kept")
        XCTAssertEqual(monitor.signalsReceived, 2)
    }
}
