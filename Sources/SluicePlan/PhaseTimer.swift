import Foundation
import SluiceCore
import SluiceGit
import SluiceModel
import SluiceRender

/// Wall time between the steps of a plan.
struct PhaseTimer {
    private(set) var laps: [(phase: String, seconds: Double)] = []
    private var last = ContinuousClock.now

    mutating func lap(_ phase: String) {
        let now = ContinuousClock.now
        laps.append((phase, GoDuration.seconds(now - last)))
        last = now
    }
}
