//! The ten county-level districts of Ningbo with their GB/T 2260 codes: the district branches
//! (分局) of the city bureau and the unit every resident and record is scoped under.

/// The city of Ningbo's own GB/T 2260 code.
pub const NINGBO_CODE: u32 = 330200;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct District {
    pub code: u32,
    pub name: &'static str,
    pub name_en: &'static str,
    /// Rough share of the city's registered population, for the demo generator.
    pub population_share: f64,
}

pub const DISTRICTS: [District; 10] = [
    District { code: 330203, name: "海曙区", name_en: "Haishu", population_share: 0.110 },
    District { code: 330205, name: "江北区", name_en: "Jiangbei", population_share: 0.055 },
    District { code: 330206, name: "北仑区", name_en: "Beilun", population_share: 0.080 },
    District { code: 330211, name: "镇海区", name_en: "Zhenhai", population_share: 0.045 },
    District { code: 330212, name: "鄞州区", name_en: "Yinzhou", population_share: 0.165 },
    District { code: 330213, name: "奉化区", name_en: "Fenghua", population_share: 0.060 },
    District { code: 330225, name: "象山县", name_en: "Xiangshan", population_share: 0.060 },
    District { code: 330226, name: "宁海县", name_en: "Ninghai", population_share: 0.075 },
    District { code: 330281, name: "余姚市", name_en: "Yuyao", population_share: 0.150 },
    District { code: 330282, name: "慈溪市", name_en: "Cixi", population_share: 0.200 },
];

/// Another city a ningan instance may serve, with its district branches: the demo's second
/// city for 跨市通办 (the 浙东 economic zone's cities handle each other's items).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct City {
    pub code: u32,
    /// Two letters that open the numbers this city gives (applications), as `NB` for Ningbo.
    pub prefix: &'static str,
    pub bureau: &'static str,
    pub bureau_en: &'static str,
    /// (GB/T 2260 code, 中文, English) of each district.
    pub districts: &'static [(u32, &'static str, &'static str)],
}

pub const SHAOXING: City = City {
    code: 330600,
    prefix: "SX",
    bureau: "绍兴市公安局",
    bureau_en: "Shaoxing Public Security Bureau",
    districts: &[
        (330602, "越城区", "Yuecheng"),
        (330603, "柯桥区", "Keqiao"),
        (330604, "上虞区", "Shangyu"),
        (330624, "新昌县", "Xinchang"),
        (330681, "诸暨市", "Zhuji"),
        (330683, "嵊州市", "Shengzhou"),
    ],
};

/// The other city an instance configured with `code` serves, if ningan knows its districts;
/// any other code keeps Ningbo's tree.
pub fn other_city(code: &str) -> Option<&'static City> {
    [&SHAOXING].into_iter().find(|c| c.code.to_string() == code)
}

pub fn by_code(code: u32) -> Option<&'static District> {
    DISTRICTS.iter().find(|d| d.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one_and_codes_are_ningbo() {
        let total: f64 = DISTRICTS.iter().map(|d| d.population_share).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert!(DISTRICTS.iter().all(|d| d.code / 100 == NINGBO_CODE / 100));
        assert_eq!(by_code(330212).map(|d| d.name), Some("鄞州区"));
    }
}
