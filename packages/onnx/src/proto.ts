/** The ONNX protobuf schema (onnx.proto, via the static protobufjs build in `onnx-proto`). */
import onnxProto from 'onnx-proto'

export const onnx = onnxProto.onnx
export type ModelProto = onnxProto.onnx.ModelProto
export type GraphProto = onnxProto.onnx.IGraphProto
export type NodeProto = onnxProto.onnx.INodeProto
export type TensorProto = onnxProto.onnx.ITensorProto
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto
export type AttributeProto = onnxProto.onnx.IAttributeProto
