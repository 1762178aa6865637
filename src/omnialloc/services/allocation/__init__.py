"""The allocation kernel: turn an order into the solver's problem, solve it, reserve the plan, settle the order."""
