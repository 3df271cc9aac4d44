import CycleGANCompute
import Foundation

/// What the run loop needs from a model. `CycleGANModel` is the production conformer; tests
/// wrap it to inject faults such as a non-finite loss.
public protocol TrainableModel: AnyObject {
    /// Learning rate of the next optimizer steps, set by the run once per epoch.
    var learningRate: Float { get set }
    /// Runs one training iteration on NCHW batches in [-1, 1] and returns its losses.
    func optimizeParameters(realA: [Float], shapeA: TensorShape,
                            realB: [Float], shapeB: TensorShape) throws -> IterationLosses
    /// Labelled images of the last iteration for sample sheets, NCHW in [-1, 1].
    func visuals() throws -> [(label: String, values: [Float], shape: TensorShape)]
    /// Writes `<prefix>_net_{G_A,G_B,D_A,D_B}.safetensors` into `directory`.
    @discardableResult
    func saveNetworks(to directory: URL, prefix: String,
                      extraMetadata: [String: String]) throws -> [URL]
    func loadNetworks(from directory: URL, prefix: String) throws
    /// Optimizer states, image pools, their random generator and the learning rate.
    func trainingState() throws -> SafetensorsFile
    func restoreTrainingState(_ state: SafetensorsFile) throws
}

extension CycleGANModel: TrainableModel {}

/// The four network names of a CycleGAN, as the reference names its saved files.
public let networkNames = ["G_A", "G_B", "D_A", "D_B"]
