// The numpy dtype `hifloat.hifloat8`: HiF8 as a numpy user dtype, in the style
// of ml_dtypes' float8 types (numpy's legacy user-dtype C API):
// - a Python scalar type deriving from numpy.generic that holds one code byte,
// - PyArray_RegisterDataType with a PyArray_ArrFuncs table,
// - casts to and from the numpy float, integer and bool types (and
//   ml_dtypes.bfloat16 when it is installed) with PyArray_RegisterCastFunc,
// - ufunc loops (comparisons, classification, sign, arithmetic) with
//   PyUFunc_RegisterLoopForType.
// Every conversion goes through include/hifloat/hif8.h: into HiF8 it is
// hif8_encode with the default rounding (nearest, ties away from zero; overflow
// to Inf), so casting float32 -> hifloat8 equals hifloat::hif8(x); out of HiF8
// it is exact (every HiF8 value is a float16, a bfloat16 and a float32).
//
// This is the only file that uses numpy's C API, so it keeps the API table
// static to this translation unit.
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>
#include <numpy/ufuncobject.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "hif8_dtype.h"
#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"

#if NPY_ABI_VERSION < 0x02000000
// numpy 1.x headers: the registration prototype is a plain descriptor.
#define PyArray_DescrProto PyArray_Descr
#define PyDataType_GetArrFuncs(descr) ((descr)->f)
#define PyDataType_ELSIZE(descr) ((descr)->elsize)
#endif

namespace hifloat::python {

namespace {

// ---------------------------------------------------------------------------
// Scalar type

// numpy's PyArray_Scalar copies an element of a user dtype to the bytes right
// after the object header, so the code byte must sit there.
struct PyHif8 {
  PyObject_HEAD
  uint8_t bits;
};

PyTypeObject* g_scalar_type = nullptr;  // hifloat.hifloat8
int g_type_num = NPY_NOTYPE;            // its numpy type number
PyArray_Descr* g_descr = nullptr;       // its numpy descriptor (kept for the module's life)
PyArray_ArrFuncs g_arr_funcs;
PyArray_DescrProto g_descr_proto;

inline float value_of(uint8_t bits) { return hif8_decode(bits); }
inline uint8_t encode(double x) { return hif8_encode(x); }

bool is_hif8(PyObject* o) { return PyObject_TypeCheck(o, g_scalar_type) != 0; }
uint8_t bits_of(PyObject* o) { return reinterpret_cast<PyHif8*>(o)->bits; }

PyObject* new_scalar(uint8_t bits) {
  PyObject* o = g_scalar_type->tp_alloc(g_scalar_type, 0);
  if (o != nullptr) reinterpret_cast<PyHif8*>(o)->bits = bits;
  return o;
}

// Converts a Python object to a HiF8 code. Returns false without setting an
// error when the object is of no convertible kind; returns false with an error
// set when the conversion itself failed.
bool to_bits(PyObject* arg, uint8_t* out) {
  if (is_hif8(arg)) {
    *out = bits_of(arg);
    return true;
  }
  if (PyFloat_Check(arg)) {
    *out = encode(PyFloat_AsDouble(arg));
    return true;
  }
  if (PyLong_Check(arg)) {
    const double d = PyLong_AsDouble(arg);  // beyond double range: OverflowError
    if (d == -1.0 && PyErr_Occurred()) {
      // Integers too large for a double are certainly beyond HiF8's range.
      if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return false;
      PyErr_Clear();
      *out = encode(_PyLong_Sign(arg) < 0 ? -INFINITY : INFINITY);
      return true;
    }
    *out = encode(d);
    return true;
  }
  if (PyArray_IsZeroDim(arg)) {
    PyArrayObject* arr = reinterpret_cast<PyArrayObject*>(arg);
    if (PyArray_TYPE(arr) == g_type_num) {
      std::memcpy(out, PyArray_DATA(arr), 1);
      return true;
    }
    Py_INCREF(g_descr);  // PyArray_CastToType steals a reference to the descriptor
    PyObject* cast = PyArray_CastToType(arr, g_descr, 0);
    if (cast == nullptr) return false;
    std::memcpy(out, PyArray_DATA(reinterpret_cast<PyArrayObject*>(cast)), 1);
    Py_DECREF(cast);
    return true;
  }
  // numpy scalars (float16/32/64, ints, bool) and other number types such as
  // ml_dtypes.bfloat16: float() holds their value exactly (except longdouble).
  if (PyArray_IsScalar(arg, Generic) || (Py_TYPE(arg)->tp_as_number != nullptr &&
                                         Py_TYPE(arg)->tp_as_number->nb_float != nullptr)) {
    PyObject* f = PyNumber_Float(arg);
    if (f == nullptr) return false;
    *out = encode(PyFloat_AsDouble(f));
    Py_DECREF(f);
    return true;
  }
  return false;
}

PyObject* scalar_new(PyTypeObject* /*type*/, PyObject* args, PyObject* kwds) {
  if (kwds != nullptr && PyDict_Size(kwds) != 0) {
    PyErr_SetString(PyExc_TypeError, "hifloat8() takes no keyword arguments");
    return nullptr;
  }
  if (PyTuple_Size(args) != 1) {
    PyErr_SetString(PyExc_TypeError, "hifloat8() takes exactly one argument (a number, string or array)");
    return nullptr;
  }
  PyObject* arg = PyTuple_GetItem(args, 0);
  if (is_hif8(arg)) {
    Py_INCREF(arg);
    return arg;
  }
  if (PyArray_Check(arg) && !PyArray_IsZeroDim(arg)) {
    Py_INCREF(g_descr);
    return PyArray_CastToType(reinterpret_cast<PyArrayObject*>(arg), g_descr, 0);
  }
  if (PyUnicode_Check(arg) || PyBytes_Check(arg)) {
    PyObject* f = PyFloat_FromString(arg);
    if (f == nullptr) return nullptr;
    const uint8_t bits = encode(PyFloat_AsDouble(f));
    Py_DECREF(f);
    return new_scalar(bits);
  }
  uint8_t bits = 0;
  if (to_bits(arg, &bits)) return new_scalar(bits);
  if (!PyErr_Occurred()) {
    PyErr_Format(PyExc_TypeError, "hifloat8() expected a number, got %s", Py_TYPE(arg)->tp_name);
  }
  return nullptr;
}

PyObject* scalar_float(PyObject* self) { return PyFloat_FromDouble(value_of(bits_of(self))); }

PyObject* scalar_int(PyObject* self) {
  return PyLong_FromDouble(static_cast<double>(value_of(bits_of(self))));  // NaN/Inf raise
}

PyObject* scalar_negative(PyObject* self) { return new_scalar((-hif8::from_bits(bits_of(self))).bits()); }
PyObject* scalar_positive(PyObject* self) {
  Py_INCREF(self);
  return self;
}
PyObject* scalar_absolute(PyObject* self) {
  const uint8_t b = bits_of(self);
  return new_scalar(b == hif8_detail::kNaN ? b : static_cast<uint8_t>(b & 0x7Fu));
}
int scalar_bool(PyObject* self) { return value_of(bits_of(self)) != 0.0f; }

// Arithmetic between two HiF8 scalars is done in double and rounded once to
// HiF8 (sums, differences and products of two HiF8 values are exact in double).
// Anything else goes to numpy, which promotes through the registered casts.
template <typename Op>
PyObject* scalar_binary(PyObject* a, PyObject* b, Op op, binaryfunc fallback) {
  if (is_hif8(a) && is_hif8(b)) {
    const double x = value_of(bits_of(a));
    const double y = value_of(bits_of(b));
    return new_scalar(encode(op(x, y)));
  }
  return fallback(a, b);
}
PyObject* scalar_add(PyObject* a, PyObject* b) {
  return scalar_binary(a, b, [](double x, double y) { return x + y; }, PyArray_Type.tp_as_number->nb_add);
}
PyObject* scalar_subtract(PyObject* a, PyObject* b) {
  return scalar_binary(a, b, [](double x, double y) { return x - y; }, PyArray_Type.tp_as_number->nb_subtract);
}
PyObject* scalar_multiply(PyObject* a, PyObject* b) {
  return scalar_binary(a, b, [](double x, double y) { return x * y; }, PyArray_Type.tp_as_number->nb_multiply);
}
PyObject* scalar_true_divide(PyObject* a, PyObject* b) {
  return scalar_binary(a, b, [](double x, double y) { return x / y; },
                       PyArray_Type.tp_as_number->nb_true_divide);
}

PyObject* scalar_richcompare(PyObject* a, PyObject* b, int op) {
  if (!is_hif8(a) || !is_hif8(b)) return PyGenericArrType_Type.tp_richcompare(a, b, op);
  const float x = value_of(bits_of(a));
  const float y = value_of(bits_of(b));
  bool r = false;
  switch (op) {
    case Py_LT: r = x < y; break;
    case Py_LE: r = x <= y; break;
    case Py_EQ: r = x == y; break;
    case Py_NE: r = x != y; break;
    case Py_GT: r = x > y; break;
    case Py_GE: r = x >= y; break;
    default: Py_RETURN_NOTIMPLEMENTED;
  }
  PyArrayScalar_RETURN_BOOL_FROM_LONG(r);
}

// The shortest decimal that reads back to the same value, without a trailing
// ".0" (as ml_dtypes prints its float8 types): 1.5, 2, 32768, 2.384185791015625e-07.
PyObject* scalar_repr(PyObject* self) {
  const float v = value_of(bits_of(self));
  if (std::isnan(v)) return PyUnicode_FromString("nan");
  PyObject* f = PyFloat_FromDouble(v);
  if (f == nullptr) return nullptr;
  PyObject* r = PyObject_Repr(f);
  Py_DECREF(f);
  if (r == nullptr) return nullptr;
  const char* s = PyUnicode_AsUTF8(r);
  if (s == nullptr) {
    Py_DECREF(r);
    return nullptr;
  }
  std::string text(s);
  Py_DECREF(r);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return PyUnicode_FromString(text.c_str());
}

Py_hash_t scalar_hash(PyObject* self) {
  PyObject* f = scalar_float(self);
  if (f == nullptr) return -1;
  const Py_hash_t h = PyObject_Hash(f);
  Py_DECREF(f);
  return h;
}

PyObject* scalar_format(PyObject* self, PyObject* spec) {
  PyObject* f = scalar_float(self);
  if (f == nullptr) return nullptr;
  PyObject* r = PyObject_Format(f, spec);
  Py_DECREF(f);
  return r;
}

// Pickles as hifloat8(float value): exact, since every HiF8 value has exactly
// one code and encoding a representable value returns that code.
PyObject* scalar_reduce(PyObject* self, PyObject* /*unused*/) {
  return Py_BuildValue("(O(d))", reinterpret_cast<PyObject*>(g_scalar_type),
                       static_cast<double>(value_of(bits_of(self))));
}

PyObject* scalar_bits(PyObject* self, void* /*closure*/) { return PyLong_FromLong(bits_of(self)); }

PyObject* scalar_from_bits(PyObject* /*cls*/, PyObject* arg) {
  const long b = PyLong_AsLong(arg);
  if (b == -1 && PyErr_Occurred()) return nullptr;
  if (b < 0 || b > 255) {
    PyErr_Format(PyExc_ValueError, "hifloat8.from_bits: code %ld is outside [0, 255]", b);
    return nullptr;
  }
  return new_scalar(static_cast<uint8_t>(b));
}

PyMethodDef g_scalar_methods[] = {
    {"__format__", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(scalar_format)), METH_O,
     "Formats the value as a float."},
    {"__reduce__", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(scalar_reduce)), METH_NOARGS,
     "Pickle support."},
    {"from_bits", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(scalar_from_bits)),
     METH_O | METH_CLASS, "hifloat8.from_bits(code) -> the scalar with this 8-bit code."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef g_scalar_getset[] = {
    {"bits", scalar_bits, nullptr, "The 8-bit code (0..255).", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

const char kScalarDoc[] =
    "HiFloat8 (HiF8) scalar and numpy dtype.\n\n"
    "Conversions into hifloat8 round to nearest with ties away from zero and overflow\n"
    "to +-Inf (hifloat::hif8); conversions out are exact.\n\n"
    ">>> import numpy as np, hifloat\n"
    ">>> np.array([1.0, 3.3, 1e6], dtype=hifloat.hifloat8)\n"
    "array([1, 3.25, inf], dtype=hifloat8)\n";

template <typename F>
void* slot(F f) {
  return reinterpret_cast<void*>(f);
}

PyType_Slot g_scalar_slots[] = {
    {Py_tp_new, slot(scalar_new)},
    {Py_tp_repr, slot(scalar_repr)},
    {Py_tp_str, slot(scalar_repr)},
    {Py_tp_hash, slot(scalar_hash)},
    {Py_tp_doc, const_cast<char*>(kScalarDoc)},
    {Py_tp_richcompare, slot(scalar_richcompare)},
    {Py_tp_methods, g_scalar_methods},
    {Py_tp_getset, g_scalar_getset},
    {Py_nb_add, slot(scalar_add)},
    {Py_nb_subtract, slot(scalar_subtract)},
    {Py_nb_multiply, slot(scalar_multiply)},
    {Py_nb_true_divide, slot(scalar_true_divide)},
    {Py_nb_negative, slot(scalar_negative)},
    {Py_nb_positive, slot(scalar_positive)},
    {Py_nb_absolute, slot(scalar_absolute)},
    {Py_nb_bool, slot(scalar_bool)},
    {Py_nb_int, slot(scalar_int)},
    {Py_nb_float, slot(scalar_float)},
    {0, nullptr},
};

PyType_Spec g_scalar_spec = {
    "hifloat.hifloat8",
    static_cast<int>(sizeof(PyHif8)),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    g_scalar_slots,
};

// ---------------------------------------------------------------------------
// Array functions

PyObject* arr_getitem(void* data, void* /*arr*/) {
  uint8_t b = 0;
  std::memcpy(&b, data, 1);
  return PyFloat_FromDouble(value_of(b));
}

int arr_setitem(PyObject* item, void* data, void* /*arr*/) {
  uint8_t b = 0;
  if (PyUnicode_Check(item) || PyBytes_Check(item)) {
    PyObject* f = PyFloat_FromString(item);
    if (f == nullptr) return -1;
    b = encode(PyFloat_AsDouble(f));
    Py_DECREF(f);
  } else if (!to_bits(item, &b)) {
    if (!PyErr_Occurred()) {
      PyErr_Format(PyExc_TypeError, "hifloat8: expected a number, got %s", Py_TYPE(item)->tp_name);
    }
    return -1;
  }
  std::memcpy(data, &b, 1);
  return 0;
}

void arr_copyswapn(void* dst, npy_intp dstride, void* src, npy_intp sstride, npy_intp n, int /*swap*/,
                   void* /*arr*/) {
  if (src == nullptr) return;  // one byte: nothing to swap in place
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (dstride == 1 && sstride == 1) {
    std::memmove(d, s, static_cast<size_t>(n));
    return;
  }
  for (npy_intp i = 0; i < n; ++i) d[i * dstride] = s[i * sstride];
}

void arr_copyswap(void* dst, void* src, int /*swap*/, void* /*arr*/) {
  if (src != nullptr) std::memcpy(dst, src, 1);
}

npy_bool arr_nonzero(void* data, void* /*arr*/) {
  uint8_t b = 0;
  std::memcpy(&b, data, 1);
  return value_of(b) != 0.0f;  // NaN is nonzero
}

// np.arange: element i = start + i * delta, each rounded to HiF8.
int arr_fill(void* buffer, npy_intp length, void* /*arr*/) {
  uint8_t* b = static_cast<uint8_t*>(buffer);
  const double start = value_of(b[0]);
  const double delta = static_cast<double>(value_of(b[1])) - start;
  for (npy_intp i = 2; i < length; ++i) b[i] = encode(start + static_cast<double>(i) * delta);
  return 0;
}

void arr_dot(void* ip1, npy_intp is1, void* ip2, npy_intp is2, void* op, npy_intp n, void* /*arr*/) {
  const char* a = static_cast<const char*>(ip1);
  const char* b = static_cast<const char*>(ip2);
  double acc = 0.0;
  for (npy_intp i = 0; i < n; ++i) {
    acc += static_cast<double>(value_of(static_cast<uint8_t>(a[i * is1]))) *
           static_cast<double>(value_of(static_cast<uint8_t>(b[i * is2])));
  }
  *static_cast<uint8_t*>(op) = encode(acc);
}

// Sort order: by value, NaN last (as numpy sorts floats).
int arr_compare(const void* pa, const void* pb, void* /*arr*/) {
  const float x = value_of(*static_cast<const uint8_t*>(pa));
  const float y = value_of(*static_cast<const uint8_t*>(pb));
  if (x < y) return -1;
  if (y < x) return 1;
  const bool nx = std::isnan(x), ny = std::isnan(y);
  if (!nx && ny) return -1;
  if (nx && !ny) return 1;
  return 0;
}

// numpy's rule: the first NaN wins, otherwise the first extreme value.
template <bool kMax>
int arr_argext(void* data, npy_intp n, npy_intp* index, void* /*arr*/) {
  const uint8_t* b = static_cast<const uint8_t*>(data);
  float best = std::numeric_limits<float>::quiet_NaN();
  *index = 0;
  for (npy_intp i = 0; i < n; ++i) {
    const float v = value_of(b[i]);
    const bool better = kMax ? !(v <= best) : !(v >= best);
    if (better) {
      best = v;
      *index = i;
      if (std::isnan(v)) break;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Casts

// How a C type converts from and to double for the cast loops.
// Float inputs are classified on their bits first: converting a signalling NaN
// to double would raise FE_INVALID, which numpy reports as a cast warning.
template <typename T>
struct Conv {
  static uint8_t to_code(T v) {
    if constexpr (std::is_same_v<T, float>) {
      if ((std::bit_cast<uint32_t>(v) & 0x7FFFFFFFu) > 0x7F800000u) return hif8_detail::kNaN;
    }
    return encode(static_cast<double>(v));
  }
  static T from_float(float v) {
    if constexpr (std::is_same_v<T, bool>) {
      return v != 0.0f;  // NaN is true, as in numpy
    } else if constexpr (std::is_integral_v<T>) {
      // Out-of-range float->int conversion is undefined in C++; HiF8 values are
      // integers of at most 2^15 in magnitude or fractions, so go through
      // int64 (NaN -> 0, +-Inf -> the type's limits) and wrap like numpy.
      if (std::isnan(v)) return T{0};
      if (std::isinf(v)) return v > 0 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
      return static_cast<T>(static_cast<int64_t>(v));
    } else {
      return static_cast<T>(v);
    }
  }
};
template <>
struct Conv<float16> {  // numpy's npy_half: IEEE binary16 bits
  static uint8_t to_code(float16 v) {
    if ((v.bits & 0x7FFFu) > 0x7C00u) return hif8_detail::kNaN;
    return encode(static_cast<double>(static_cast<float>(v)));
  }
  static float16 from_float(float v) { return float16(v); }  // exact for HiF8 values
};
template <>
struct Conv<bfloat16> {  // ml_dtypes.bfloat16: the top 16 bits of a float32
  static uint8_t to_code(bfloat16 v) {
    if ((v.bits & 0x7FFFu) > 0x7F80u) return hif8_detail::kNaN;
    return encode(static_cast<double>(static_cast<float>(v)));
  }
  static bfloat16 from_float(float v) { return bfloat16(v); }  // exact for HiF8 values
};

// Contiguous, aligned buffers (numpy's legacy cast functions are called on such).
template <typename T>
void cast_to_hif8(void* from, void* to, npy_intp n, void* /*fromarr*/, void* /*toarr*/) {
  const T* in = static_cast<const T*>(from);
  uint8_t* out = static_cast<uint8_t*>(to);
  for (npy_intp i = 0; i < n; ++i) out[i] = Conv<T>::to_code(in[i]);
}

template <typename T>
void cast_from_hif8(void* from, void* to, npy_intp n, void* /*fromarr*/, void* /*toarr*/) {
  const uint8_t* in = static_cast<const uint8_t*>(from);
  T* out = static_cast<T*>(to);
  for (npy_intp i = 0; i < n; ++i) out[i] = Conv<T>::from_float(value_of(in[i]));
}

template <typename T>
bool register_casts(int other_type_num) {
  PyArray_Descr* other = PyArray_DescrFromType(other_type_num);
  if (other == nullptr) return false;
  const bool ok = PyArray_RegisterCastFunc(other, g_type_num, cast_to_hif8<T>) >= 0 &&
                  PyArray_RegisterCastFunc(g_descr, other_type_num, cast_from_hif8<T>) >= 0;
  Py_DECREF(other);
  return ok;
}

bool register_can_cast(int from, int to) {
  PyArray_Descr* d = PyArray_DescrFromType(from);
  if (d == nullptr) return false;
  const bool ok = PyArray_RegisterCanCast(d, to, NPY_NOSCALAR) >= 0;
  Py_DECREF(d);
  return ok;
}

bool register_all_casts() {
  static_assert(sizeof(float16) == sizeof(npy_half));
  const bool ok =
      register_casts<float16>(NPY_HALF) && register_casts<float>(NPY_FLOAT) &&
      register_casts<double>(NPY_DOUBLE) && register_casts<long double>(NPY_LONGDOUBLE) &&
      register_casts<bool>(NPY_BOOL) && register_casts<npy_byte>(NPY_BYTE) && register_casts<npy_ubyte>(NPY_UBYTE) &&
      register_casts<npy_short>(NPY_SHORT) && register_casts<npy_ushort>(NPY_USHORT) &&
      register_casts<npy_int>(NPY_INT) && register_casts<npy_uint>(NPY_UINT) && register_casts<npy_long>(NPY_LONG) &&
      register_casts<npy_ulong>(NPY_ULONG) && register_casts<npy_longlong>(NPY_LONGLONG) &&
      register_casts<npy_ulonglong>(NPY_ULONGLONG);
  if (!ok) return false;
  // Safe (exact) casts, which numpy also uses to promote mixed operations:
  // every HiF8 value is a float16, float32 and float64, so hifloat8 with
  // float16 promotes to float16 (and, as float16 arrays do under NEP 50,
  // hifloat8 + a Python float computes in float16). Only bool converts into
  // HiF8 exactly.
  for (int to : {NPY_HALF, NPY_FLOAT, NPY_DOUBLE, NPY_LONGDOUBLE}) {
    if (!register_can_cast(g_type_num, to)) return false;
  }
  return register_can_cast(NPY_BOOL, g_type_num);
}

// ml_dtypes.bfloat16, when installed: casts both ways (HiF8 -> bfloat16 is exact).
bool register_bfloat16_casts() {
  PyObject* mod = PyImport_ImportModule("ml_dtypes");
  if (mod == nullptr) {
    PyErr_Clear();  // optional dependency
    return true;
  }
  PyObject* type = PyObject_GetAttrString(mod, "bfloat16");
  Py_DECREF(mod);
  if (type == nullptr) {
    PyErr_Clear();
    return true;
  }
  PyArray_Descr* descr = nullptr;
  const int conv = PyArray_DescrConverter(type, &descr);
  Py_DECREF(type);
  if (conv == 0 || descr == nullptr) {
    PyErr_Clear();
    return true;
  }
  const int bf16 = descr->type_num;
  const bool ok = PyDataType_ELSIZE(descr) == 2 && register_casts<bfloat16>(bf16) && register_can_cast(g_type_num, bf16);
  Py_DECREF(descr);
  return ok;
}

// ---------------------------------------------------------------------------
// Ufunc loops

template <typename Out, typename Fn>
void unary_loop(char** args, const npy_intp* dims, const npy_intp* steps, Fn fn) {
  const char* in = args[0];
  char* out = args[1];
  for (npy_intp k = 0; k < dims[0]; ++k, in += steps[0], out += steps[1]) {
    *reinterpret_cast<Out*>(out) = fn(*reinterpret_cast<const uint8_t*>(in));
  }
}

template <typename Out, typename Fn>
void binary_loop(char** args, const npy_intp* dims, const npy_intp* steps, Fn fn) {
  const char* a = args[0];
  const char* b = args[1];
  char* out = args[2];
  for (npy_intp k = 0; k < dims[0]; ++k, a += steps[0], b += steps[1], out += steps[2]) {
    *reinterpret_cast<Out*>(out) = fn(*reinterpret_cast<const uint8_t*>(a), *reinterpret_cast<const uint8_t*>(b));
  }
}

#define HIFLOAT_COMPARE_LOOP(name, op)                                                            \
  void name(char** args, const npy_intp* dims, const npy_intp* steps, void*) {                    \
    binary_loop<npy_bool>(args, dims, steps, [](uint8_t x, uint8_t y) -> npy_bool {               \
      return value_of(x) op value_of(y);                                                          \
    });                                                                                           \
  }
HIFLOAT_COMPARE_LOOP(loop_equal, ==)
HIFLOAT_COMPARE_LOOP(loop_not_equal, !=)
HIFLOAT_COMPARE_LOOP(loop_less, <)
HIFLOAT_COMPARE_LOOP(loop_less_equal, <=)
HIFLOAT_COMPARE_LOOP(loop_greater, >)
HIFLOAT_COMPARE_LOOP(loop_greater_equal, >=)
#undef HIFLOAT_COMPARE_LOOP

#define HIFLOAT_ARITH_LOOP(name, op)                                                              \
  void name(char** args, const npy_intp* dims, const npy_intp* steps, void*) {                    \
    binary_loop<uint8_t>(args, dims, steps, [](uint8_t x, uint8_t y) -> uint8_t {                 \
      return encode(static_cast<double>(value_of(x)) op static_cast<double>(value_of(y)));        \
    });                                                                                           \
  }
HIFLOAT_ARITH_LOOP(loop_add, +)
HIFLOAT_ARITH_LOOP(loop_subtract, -)
HIFLOAT_ARITH_LOOP(loop_multiply, *)
HIFLOAT_ARITH_LOOP(loop_divide, /)
#undef HIFLOAT_ARITH_LOOP

// maximum/minimum propagate NaN; fmax/fmin ignore it (numpy's definitions).
template <bool kMax, bool kPropagateNaN>
void loop_extremum(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  binary_loop<uint8_t>(args, dims, steps, [](uint8_t x, uint8_t y) -> uint8_t {
    const float a = value_of(x), b = value_of(y);
    if (std::isnan(a)) return kPropagateNaN ? x : y;
    if (std::isnan(b)) return kPropagateNaN ? y : x;
    return (kMax ? a >= b : a <= b) ? x : y;
  });
}

void loop_isnan(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<npy_bool>(args, dims, steps, [](uint8_t x) -> npy_bool { return hif8::from_bits(x).isnan(); });
}
void loop_isinf(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<npy_bool>(args, dims, steps, [](uint8_t x) -> npy_bool { return hif8::from_bits(x).isinf(); });
}
void loop_isfinite(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<npy_bool>(args, dims, steps, [](uint8_t x) -> npy_bool { return hif8::from_bits(x).isfinite(); });
}
void loop_signbit(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<npy_bool>(args, dims, steps, [](uint8_t x) -> npy_bool { return (x & 0x80u) != 0 && x != 0x80u; });
}
void loop_negative(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<uint8_t>(args, dims, steps, [](uint8_t x) -> uint8_t { return (-hif8::from_bits(x)).bits(); });
}
void loop_positive(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<uint8_t>(args, dims, steps, [](uint8_t x) -> uint8_t { return x; });
}
void loop_absolute(char** args, const npy_intp* dims, const npy_intp* steps, void*) {
  unary_loop<uint8_t>(args, dims, steps,
                      [](uint8_t x) -> uint8_t { return x == hif8_detail::kNaN ? x : static_cast<uint8_t>(x & 0x7Fu); });
}

bool register_loop(PyObject* numpy, const char* name, PyUFuncGenericFunction fn, std::initializer_list<int> types) {
  PyObject* ufunc = PyObject_GetAttrString(numpy, name);
  if (ufunc == nullptr) return false;
  int type_array[4] = {0, 0, 0, 0};
  int n = 0;
  for (int t : types) type_array[n++] = t;
  const auto* uf = reinterpret_cast<PyUFuncObject*>(ufunc);
  if (uf->nargs != n) {
    PyErr_Format(PyExc_AssertionError, "ufunc %s takes %d arguments, loop takes %d", name, uf->nargs, n);
    Py_DECREF(ufunc);
    return false;
  }
  const int rc = PyUFunc_RegisterLoopForType(reinterpret_cast<PyUFuncObject*>(ufunc), g_type_num, fn, type_array,
                                             nullptr);
  Py_DECREF(ufunc);
  return rc >= 0;
}

bool register_ufuncs(PyObject* numpy) {
  const int H = g_type_num;
  const int B = NPY_BOOL;
  struct Entry {
    const char* name;
    PyUFuncGenericFunction fn;
    std::initializer_list<int> types;
  };
  const Entry entries[] = {
      {"equal", loop_equal, {H, H, B}},
      {"not_equal", loop_not_equal, {H, H, B}},
      {"less", loop_less, {H, H, B}},
      {"less_equal", loop_less_equal, {H, H, B}},
      {"greater", loop_greater, {H, H, B}},
      {"greater_equal", loop_greater_equal, {H, H, B}},
      {"add", loop_add, {H, H, H}},
      {"subtract", loop_subtract, {H, H, H}},
      {"multiply", loop_multiply, {H, H, H}},
      {"divide", loop_divide, {H, H, H}},
      {"maximum", loop_extremum<true, true>, {H, H, H}},
      {"minimum", loop_extremum<false, true>, {H, H, H}},
      {"fmax", loop_extremum<true, false>, {H, H, H}},
      {"fmin", loop_extremum<false, false>, {H, H, H}},
      {"isnan", loop_isnan, {H, B}},
      {"isinf", loop_isinf, {H, B}},
      {"isfinite", loop_isfinite, {H, B}},
      {"signbit", loop_signbit, {H, B}},
      {"negative", loop_negative, {H, H}},
      {"positive", loop_positive, {H, H}},
      {"absolute", loop_absolute, {H, H}},
  };
  for (const Entry& e : entries) {
    if (!register_loop(numpy, e.name, e.fn, e.types)) return false;
  }
  return true;
}

bool register_dtype() {
  PyObject* bases = PyTuple_Pack(1, reinterpret_cast<PyObject*>(&PyGenericArrType_Type));
  if (bases == nullptr) return false;
  PyObject* type = PyType_FromSpecWithBases(&g_scalar_spec, bases);
  Py_DECREF(bases);
  if (type == nullptr) return false;
  g_scalar_type = reinterpret_cast<PyTypeObject*>(type);  // kept for the process's life

  PyArray_InitArrFuncs(&g_arr_funcs);
  g_arr_funcs.getitem = arr_getitem;
  g_arr_funcs.setitem = arr_setitem;
  g_arr_funcs.copyswapn = arr_copyswapn;
  g_arr_funcs.copyswap = arr_copyswap;
  g_arr_funcs.nonzero = arr_nonzero;
  g_arr_funcs.fill = arr_fill;
  g_arr_funcs.dotfunc = arr_dot;
  g_arr_funcs.compare = arr_compare;
  g_arr_funcs.argmax = arr_argext<true>;
  g_arr_funcs.argmin = arr_argext<false>;

  // numpy >= 2 copies the prototype into a descriptor it owns; numpy 1.x keeps
  // a pointer to it, so it is static either way.
  std::memset(static_cast<void*>(&g_descr_proto), 0, sizeof(g_descr_proto));
  Py_SET_TYPE(reinterpret_cast<PyObject*>(&g_descr_proto), &PyArrayDescr_Type);
  Py_SET_REFCNT(reinterpret_cast<PyObject*>(&g_descr_proto), 1);
  g_descr_proto.typeobj = g_scalar_type;
  g_descr_proto.kind = 'V';  // as ml_dtypes: 'f' would make numpy assume a builtin float
  g_descr_proto.type = '8';
  g_descr_proto.byteorder = '=';
  g_descr_proto.flags = NPY_USE_SETITEM;
  g_descr_proto.elsize = 1;
  g_descr_proto.alignment = 1;
  g_descr_proto.f = &g_arr_funcs;
  g_descr_proto.hash = -1;

  g_type_num = PyArray_RegisterDataType(&g_descr_proto);
  if (g_type_num < 0) return false;
  g_descr = PyArray_DescrFromType(g_type_num);
  if (g_descr == nullptr) return false;

  // hifloat8.dtype and np.dtype("hifloat8").
  if (PyObject_SetAttrString(type, "dtype", reinterpret_cast<PyObject*>(g_descr)) < 0) return false;
  return true;
}

}  // namespace

bool register_hif8_dtype(PyObject* module) {
  if (_import_array() < 0) return false;
  if (_import_umath() < 0) return false;
  PyObject* numpy = PyImport_ImportModule("numpy");
  if (numpy == nullptr) return false;
  bool ok = register_dtype() && register_all_casts() && register_bfloat16_casts() && register_ufuncs(numpy);
  if (ok) {
    PyObject* type_dict = PyObject_GetAttrString(numpy, "sctypeDict");
    ok = type_dict != nullptr &&
         PyDict_SetItemString(type_dict, "hifloat8", reinterpret_cast<PyObject*>(g_scalar_type)) >= 0;
    Py_XDECREF(type_dict);
  }
  Py_DECREF(numpy);
  if (!ok) return false;
  Py_INCREF(g_scalar_type);
  if (PyModule_AddObject(module, "hifloat8", reinterpret_cast<PyObject*>(g_scalar_type)) < 0) {
    Py_DECREF(g_scalar_type);
    return false;
  }
  return true;
}

}  // namespace hifloat::python
