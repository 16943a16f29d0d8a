"""See inside training: gradient flow through time and gradient clipping.

`gradient_flow(model, batch)` measures `||dL/dh_t||`, the gradient of the
loss with respect to each recurrent layer's hidden state at every step, the
quantity that vanishes or explodes as it flows back through time (Bengio et
al. 1994; Pascanu et al. 2013). The callbacks that record it into a run
folder during training are the engine's (`rnnzoo.train.callbacks`).
"""

from rnnzoo.diagnostics.gradient_flow import FLOW_FILE
from rnnzoo.diagnostics.gradient_flow import gradient_flow
from rnnzoo.diagnostics.gradient_flow import gradient_flow_by_layer
from rnnzoo.diagnostics.gradient_flow import recurrent_layers
