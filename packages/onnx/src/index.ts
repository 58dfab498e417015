/** @verity/onnx — read, validate and build ONNX model files (no execution; see @verity/runtime). */
export { decodeModel, describeModel } from './decode.ts'
export { buildModel, buildMlp, node, floatTensor, int64Tensor, int32Tensor, seededRandom, type BuildModelParameters, type IoSpec, type NodeSpec, type AttrValue } from './build.ts'
export { dtypeFromOnnx, dtypeToOnnx, onnxElemType, type Dim, type TensorSpec, type ModelDescription } from './types.ts'
export { onnx, type ModelProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto, type AttributeProto } from './proto.ts'
