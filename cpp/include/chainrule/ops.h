// Every differentiable op of chainrule, by family. Each op's forward and derivative live
// together in one block of cpp/src/ops/<family>.cpp.
#pragma once
#include "chainrule/ops/activation.h"
#include "chainrule/ops/attention.h"
#include "chainrule/ops/conv.h"
#include "chainrule/ops/creation.h"
#include "chainrule/ops/elementwise.h"
#include "chainrule/ops/embedding.h"
#include "chainrule/ops/inplace.h"
#include "chainrule/ops/linalg.h"
#include "chainrule/ops/loss.h"
#include "chainrule/ops/nn.h"
#include "chainrule/ops/norm.h"
#include "chainrule/ops/pool.h"
#include "chainrule/ops/reduce.h"
#include "chainrule/ops/scan_sort.h"
#include "chainrule/ops/shape.h"
#include "chainrule/ops/softmax.h"
