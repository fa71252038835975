#include <string>
#include <vector>

namespace geo {

class Polygon {
public:
    explicit Polygon(std::vector<double> sides) : sides_(sides) {}

    double perimeter() const {
        double total = 0;
        for (double s : sides_) {
            total += s > 0 ? s : 0;
        }
        return total;
    }

private:
    std::vector<double> sides_;
};

}  // namespace geo

int Polygon_kind(int n) {
    switch (n) {
    case 3:
        return 1;
    case 4:
        return 2;
    default:
        return 0;
    }
}
