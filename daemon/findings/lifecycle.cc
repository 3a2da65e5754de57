namespace trinet::findings {}
