"""The node's and the carrier's side of a shipment: accept, reject (hopping), pack, ship; pickup in store;
carrier tracking."""
